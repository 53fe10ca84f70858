// What a key is, in the words of the server's TYPE and OBJECT ENCODING commands. Keys are counted per kind
// index (a small integer) so the hot path does no string work.

export const KINDS = [
  { type: 'string', encoding: 'int' },
  { type: 'string', encoding: 'embstr' },
  { type: 'string', encoding: 'raw' },
  { type: 'list', encoding: 'linkedlist' },
  { type: 'list', encoding: 'ziplist' },
  { type: 'list', encoding: 'quicklist' },
  { type: 'list', encoding: 'listpack' },
  { type: 'set', encoding: 'hashtable' },
  { type: 'set', encoding: 'intset' },
  { type: 'set', encoding: 'listpack' },
  { type: 'zset', encoding: 'skiplist' },
  { type: 'zset', encoding: 'ziplist' },
  { type: 'zset', encoding: 'listpack' },
  { type: 'hash', encoding: 'hashtable' },
  { type: 'hash', encoding: 'zipmap' },
  { type: 'hash', encoding: 'ziplist' },
  { type: 'hash', encoding: 'listpack' },
  { type: 'hash', encoding: 'listpackex' },
  { type: 'stream', encoding: 'stream' },
  { type: 'module', encoding: 'module' },
  { type: 'array', encoding: 'array' },
] as const;

export const K_STRING_INT = 0;
export const K_STRING_EMBSTR = 1;
export const K_STRING_RAW = 2;
export const K_LIST_LINKEDLIST = 3;
export const K_LIST_ZIPLIST = 4;
export const K_LIST_QUICKLIST = 5;
export const K_LIST_LISTPACK = 6;
export const K_SET_HASHTABLE = 7;
export const K_SET_INTSET = 8;
export const K_SET_LISTPACK = 9;
export const K_ZSET_SKIPLIST = 10;
export const K_ZSET_ZIPLIST = 11;
export const K_ZSET_LISTPACK = 12;
export const K_HASH_HASHTABLE = 13;
export const K_HASH_ZIPMAP = 14;
export const K_HASH_ZIPLIST = 15;
export const K_HASH_LISTPACK = 16;
export const K_HASH_LISTPACKEX = 17;
export const K_STREAM = 18;
export const K_MODULE = 19;
export const K_ARRAY = 20;

/** Longest string the server keeps as embstr (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_LIMIT = 44;
const INT64_MAX = '9223372036854775807';
const INT64_MIN_ABS = '9223372036854775808';

/** Encoding a string value gets when loaded: int (canonical 64-bit decimal), embstr or raw (by length). */
export function stringKind(b: Uint8Array, start: number, len: number): number {
  if (len <= 20 && isCanonicalInt64(b, start, len)) return K_STRING_INT;
  return len <= EMBSTR_LIMIT ? K_STRING_EMBSTR : K_STRING_RAW;
}

export function stringKindByLength(len: number): number {
  return len <= EMBSTR_LIMIT ? K_STRING_EMBSTR : K_STRING_RAW;
}

/** Like the server's string2ll: optional '-', no leading zeros, no '+', fits in int64. */
function isCanonicalInt64(b: Uint8Array, start: number, len: number): boolean {
  if (len === 0) return false;
  let p = start;
  const end = start + len;
  const negative = b[p] === 0x2d;
  if (negative) p++;
  const digits = end - p;
  if (digits === 0 || digits > 19) return false;
  if (b[p] === 0x30) return digits === 1 && !negative;
  for (let i = p; i < end; i++) if (b[i] < 0x30 || b[i] > 0x39) return false;
  if (digits < 19) return true;
  const limit = negative ? INT64_MIN_ABS : INT64_MAX;
  for (let i = 0; i < 19; i++) {
    const d = b[p + i] - 0x30;
    const l = limit.charCodeAt(i) - 0x30;
    if (d !== l) return d < l;
  }
  return true;
}
