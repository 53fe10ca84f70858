// RDB opcodes and object type numbers, named after Redis's own constants (rdb.h).
// Type numbers >= 22 and opcode 243 mean different things in Redis and Valkey: see flavor.ts.

export const RDB_OPCODE_UPDATE_VALKEY = 242;
export const RDB_OPCODE_KEY_META_OR_SLOT_IMPORT = 243;
export const RDB_OPCODE_SLOT_INFO = 244;
export const RDB_OPCODE_FUNCTION2 = 245;
export const RDB_OPCODE_FUNCTION_PRE_GA = 246;
export const RDB_OPCODE_MODULE_AUX = 247;
export const RDB_OPCODE_IDLE = 248;
export const RDB_OPCODE_FREQ = 249;
export const RDB_OPCODE_AUX = 250;
export const RDB_OPCODE_RESIZEDB = 251;
export const RDB_OPCODE_EXPIRETIME_MS = 252;
export const RDB_OPCODE_EXPIRETIME = 253;
export const RDB_OPCODE_SELECTDB = 254;
export const RDB_OPCODE_EOF = 255;

export const OPCODE_NAMES: Record<number, string> = {
  242: 'UPDATE',
  243: 'KEY_META', // renamed to SLOT_IMPORT for Valkey files by the decoder
  244: 'SLOT_INFO',
  245: 'FUNCTION2',
  246: 'FUNCTION_PRE_GA',
  247: 'MODULE_AUX',
  248: 'IDLE',
  249: 'FREQ',
  250: 'AUX',
  251: 'RESIZEDB',
  252: 'EXPIRETIME_MS',
  253: 'EXPIRETIME',
  254: 'SELECTDB',
  255: 'EOF',
};

export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_MODULE_PRE_GA = 6;
export const RDB_TYPE_MODULE_2 = 7;
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;
export const RDB_TYPE_SET_LISTPACK = 20;
export const RDB_TYPE_STREAM_LISTPACKS_3 = 21;
/** Redis 7.4 release candidates; in Valkey 9 files the same number is HASH_2. */
export const RDB_TYPE_HASH_METADATA_PRE_GA = 22;
export const RDB_TYPE_HASH_2_VALKEY = 22;
/** Redis 7.4 release candidates; in Valkey (RDB 81) the same number is PATH_HASH. */
export const RDB_TYPE_HASH_LISTPACK_EX_PRE_GA = 23;
export const RDB_TYPE_HASH_METADATA = 24;
export const RDB_TYPE_HASH_LISTPACK_EX = 25;
export const RDB_TYPE_STREAM_LISTPACKS_4 = 26;
export const RDB_TYPE_STREAM_LISTPACKS_5 = 27;
export const RDB_TYPE_ARRAY = 28;

/** RDB type byte -> constant name, for summaries ("rdbTypes"). Valkey's 22 is renamed by the decoder. */
export const RDB_TYPE_NAMES: Record<number, string> = {
  0: 'STRING',
  1: 'LIST',
  2: 'SET',
  3: 'ZSET',
  4: 'HASH',
  5: 'ZSET_2',
  6: 'MODULE_PRE_GA',
  7: 'MODULE_2',
  9: 'HASH_ZIPMAP',
  10: 'LIST_ZIPLIST',
  11: 'SET_INTSET',
  12: 'ZSET_ZIPLIST',
  13: 'HASH_ZIPLIST',
  14: 'LIST_QUICKLIST',
  15: 'STREAM_LISTPACKS',
  16: 'HASH_LISTPACK',
  17: 'ZSET_LISTPACK',
  18: 'LIST_QUICKLIST_2',
  19: 'STREAM_LISTPACKS_2',
  20: 'SET_LISTPACK',
  21: 'STREAM_LISTPACKS_3',
  22: 'HASH_METADATA_PRE_GA',
  23: 'HASH_LISTPACK_EX_PRE_GA',
  24: 'HASH_METADATA',
  25: 'HASH_LISTPACK_EX',
  26: 'STREAM_LISTPACKS_4',
  27: 'STREAM_LISTPACKS_5',
  28: 'ARRAY',
};

/** Newest RDB versions this decoder knows; newer files are decoded optimistically (with a warning). */
export const NEWEST_REDIS_RDB_VERSION = 14;
export const NEWEST_VALKEY_RDB_VERSION = 81;
