// What the streaming RDB decoder reports of a snapshot (`rdb-info` events, `inspect`): part of the event contract,
// so fields are only ever added.
import type { RdbErrorCode } from './errors.js';

/** Whose meaning type bytes >= 22 and opcode 243 take: `REDIS` <= 11 shared, `REDIS` >= 12 Redis, `VALKEY` Valkey. */
export type RdbFlavor = 'shared' | 'redis' | 'valkey';

/** not-computed: the writer stored 0 (rdbchecksum no); not-verified: the reader was asked not to compute it */
export type ChecksumStatus = 'verified' | 'mismatch' | 'not-computed' | 'not-verified' | 'absent';

/** Bad RDB bytes: where in the RDB file (0 = its first magic byte), what was expected there. */
export type RdbFileError = {
  code: RdbErrorCode;
  pos: number;
  expected: string;
  message: string;
};

/** `rdb-info` header: as soon as the magic, version and leading aux fields are known. */
export type RdbHeaderInfo = {
  magic: 'REDIS' | 'VALKEY';
  version: number;
  flavor: RdbFlavor;
  aux: Record<string, string>;
  warnings?: string[];
};

/** `rdb-info` error: bad bytes, or an RDB the decoder did not get whole (bytes missing from a capture). */
export type RdbErrorInfo = RdbFileError | { code: 'RSPY_RDB_NOT_AVAILABLE'; message: string };

export type RdbDbSummary = {
  keys: number;
  expires: number;
  /** keys by "type/encoding" */
  types: Record<string, number>;
  /** what RESIZEDB announced */
  resizeHint?: { keys: number; expires: number };
};

export type RdbLargeKey = { db: number; key: string; type: string; encoding: string; bytes: number };

/** `rdb-info` summary (and `inspect`): the whole snapshot, or what was valid of it before an error. */
export type RdbSummary = {
  magic: 'REDIS' | 'VALKEY' | null;
  version: number | null;
  flavor: RdbFlavor | null;
  warnings?: string[];
  /** the writer's redis-ver / valkey-ver aux field */
  serverVersion: string | null;
  replId: string | null;
  replOffset: number | null;
  /** the RDB preamble of an AOF */
  aofBase: boolean;
  /** aux fields, long values cut */
  aux: Record<string, string>;
  keys: number;
  keysWithExpiry: number;
  emptyKeys: number;
  /** by db number */
  dbs: Record<string, RdbDbSummary>;
  /** keys by TYPE, then OBJECT ENCODING */
  types: Record<string, Record<string, number>>;
  /** keys by RDB type byte name */
  rdbTypes: Record<string, number>;
  /** opcodes by name */
  opcodes: Record<string, number>;
  largestKeys: RdbLargeKey[];
  functions: { library: string | null; engine: string | null }[];
  modules: string[];
  /** null until the RDB ended */
  checksum: ChecksumStatus | null;
  /** both as 16 hex digits, when they differ or were not compared */
  storedCrc?: string;
  computedCrc?: string;
  /** the RDB ended (with its checksum) */
  complete: boolean;
  /** bytes of the RDB (complete) or fed so far */
  bytes: number;
  /** bytes fed after the RDB ended */
  trailingBytes: number;
  error?: RdbFileError;
};

/** What the RDB decoder reports, in order: header, then error (at most one), then summary. */
export type RdbReport = { phase: 'header'; info: RdbHeaderInfo } | { phase: 'summary'; info: RdbSummary } | { phase: 'error'; info: RdbErrorInfo };
