// Values that are not a single string: decoded by generators that yield "steps" (atomic reads of one
// element) to the decoder, which runs each step once its bytes are there. So a set of a million members
// is walked member by member as it streams in, and memory stays bounded by the largest element.

import { RdbFormatError } from './errors.js';
import { listpackEntries, ziplistEntries } from './containers.js';
import * as K from './kinds.js';
import type { Reader } from './reader.js';

/** An atomic read: completes or throws NEED_MORE. Returns a number (a length, a count...). */
export type Step = (r: Reader) => number;
export interface ValueResult {
  kind: number;
  /** elements (list items, members, fields, stream entries) */
  length: number;
  /** module type name for module values */
  module?: string;
}
export type ValueTask = Generator<Step, ValueResult, number>;

export const LEN: Step = (r) => r.len();
export const U8: Step = (r) => r.u8();
export const FIXED4: Step = (r) => (r.fixed(4), 0);
export const FIXED8: Step = (r) => (r.fixed(8), 0);
export const FIXED16: Step = (r) => (r.fixed(16), 0);
export const I64: Step = (r) => r.i64le(r.fixed(8));
/** Marker step: a string whose content nobody needs. The decoder skips it as it streams by, however long. */
export const SKIP_STR: Step = (r) => {
  r.str();
  return 0;
};

const BLOB_LISTPACK: Step = (r) => {
  r.str();
  return listpackEntries(r.strBytes(), r.sPos);
};
const BLOB_ZIPLIST: Step = (r) => {
  r.str();
  return ziplistEntries(r.strBytes(), r.sPos);
};
const STREAM_ID: Step = (r) => {
  r.str();
  if (r.sUlen !== 16) {
    throw new RdbFormatError('RDB_CORRUPT_VALUE', r.sPos, 'a 16-byte stream node ID', `stream node ID of ${r.sUlen} bytes`);
  }
  return 0;
};
/** ZSET (type 3) score: 1-byte length then ASCII; 253..255 are NaN/+inf/-inf without payload. */
const ASCII_SCORE: Step = (r) => {
  const start = r.pos;
  const n = r.u8();
  if (n < 253 && r.pos + n > r.end) {
    r.pos = start;
    r.needMore(1 + n);
  }
  if (n < 253) r.pos += n;
  return 0;
};
const PEL_ENTRY: Step = (r) => {
  const start = r.pos;
  r.fixed(24); // 16-byte ID + 8-byte delivery time
  try {
    return r.len();
  } catch (e) {
    r.pos = start;
    throw e;
  }
};

const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** A module type id (a 64-bit length: 9 chars x 6 bits + 10-bit encoding version); its name goes to r.text. */
export const MODULE_ID: Step = (r) => {
  const start = r.pos;
  const b0 = r.u8();
  let id: bigint;
  if (b0 === 0x81 || b0 === 0x80) {
    const n = b0 === 0x81 ? 8 : 4;
    if (r.pos + n > r.end) {
      r.pos = start;
      r.needMore(1 + n);
    }
    id = 0n;
    for (let i = 0; i < n; i++) id = (id << 8n) | BigInt(r.buf[r.pos + i]);
    r.pos += n;
  } else {
    r.pos = start;
    id = BigInt(r.len());
  }
  let name = '';
  for (let i = 8; i >= 0; i--) name += MODULE_CHARSET[Number((id >> BigInt(10 + 6 * i)) & 63n)];
  r.text = name;
  return Number(id & 1023n);
};
/** One typed module value (§9.5 "Module values"); returns its opcode, 0 = end of the value. */
export const MODULE_VALUE: Step = (r) => {
  const start = r.pos;
  const op = r.len();
  try {
    switch (op) {
      case 0:
        break;
      case 1:
      case 2:
        r.len();
        break;
      case 3:
        r.fixed(4);
        break;
      case 4:
        r.fixed(8);
        break;
      case 5:
        r.str();
        break;
      default:
        throw new RdbFormatError('RDB_CORRUPT_VALUE', r.base + start, 'a module value opcode 0..5', `module value opcode ${op}`);
    }
  } catch (e) {
    r.pos = start;
    throw e;
  }
  return op;
};

/** A count, then that many records of the same fields: list items, set members, (member, score), (field, value)... */
function* recordsValue(kind: number, fields: readonly Step[]): ValueTask {
  const n = yield LEN;
  for (let i = 0; i < n; i++) for (const field of fields) yield field;
  return { kind, length: n };
}
const ITEM = [SKIP_STR];
const MEMBER_ASCII_SCORE = [SKIP_STR, ASCII_SCORE];
const MEMBER_SCORE = [SKIP_STR, FIXED8];
const FIELD_VALUE = [SKIP_STR, SKIP_STR];
const TTL_FIELD_VALUE = [LEN, SKIP_STR, SKIP_STR];
const FIELD_VALUE_EXPIRY = [SKIP_STR, SKIP_STR, FIXED8];

export const listValue = (kind: number): ValueTask => recordsValue(kind, ITEM);
export const zsetAsciiValue = (): ValueTask => recordsValue(K.K_ZSET_SKIPLIST, MEMBER_ASCII_SCORE);
export const zset2Value = (): ValueTask => recordsValue(K.K_ZSET_SKIPLIST, MEMBER_SCORE);
export const hashValue = (): ValueTask => recordsValue(K.K_HASH_HASHTABLE, FIELD_VALUE);

/** Redis HASH_METADATA (24; with minExpire) and its 7.4-RC form (22; without): (ttl, field, value) triples. */
export function* hashMetadataValue(withMinExpire: boolean): ValueTask {
  if (withMinExpire) yield FIXED8;
  return yield* recordsValue(K.K_HASH_HASHTABLE, TTL_FIELD_VALUE);
}

/** Valkey HASH_2 (22): (field, value, 8-byte expiry) triples. */
export const valkeyHash2Value = (): ValueTask => recordsValue(K.K_HASH_HASHTABLE, FIELD_VALUE_EXPIRY);

/** LIST_QUICKLIST (14): ziplist nodes. */
export function* quicklistValue(): ValueTask {
  const nodes = yield LEN;
  let length = 0;
  for (let i = 0; i < nodes; i++) length += yield BLOB_ZIPLIST;
  return { kind: K.K_LIST_QUICKLIST, length };
}

/** LIST_QUICKLIST_2 (18): nodes that are PLAIN (one big element) or PACKED (a listpack). */
export function* quicklist2Value(r: Reader, rdbVersion: number): ValueTask {
  const nodes = yield LEN;
  let length = 0;
  let packedOnly = true;
  for (let i = 0; i < nodes; i++) {
    const container = yield LEN;
    if (container === 1) {
      packedOnly = false;
      yield SKIP_STR;
      length++;
    } else if (container === 2) {
      length += yield BLOB_LISTPACK;
    } else {
      throw new RdbFormatError('RDB_CORRUPT_VALUE', r.abs() - 1, 'quicklist node container 1 (PLAIN) or 2 (PACKED)', `container ${container}`);
    }
  }
  // Since 7.2 (RDB 11) a small list lives as one listpack and is saved as a single PACKED node.
  const kind = rdbVersion >= 11 && nodes === 1 && packedOnly ? K.K_LIST_LISTPACK : K.K_LIST_QUICKLIST;
  return { kind, length };
}

/** Streams, layouts v1 (type 15) to v5 (27). */
export function* streamValue(v: number): ValueTask {
  const nodes = yield LEN;
  for (let i = 0; i < nodes; i++) {
    yield STREAM_ID;
    yield BLOB_LISTPACK;
  }
  const length = yield LEN;
  yield LEN; // last_id ms
  yield LEN; // last_id seq
  if (v >= 2) for (let i = 0; i < 5; i++) yield LEN; // first_id, max_deleted_id, entries_added
  const groups = yield LEN;
  for (let g = 0; g < groups; g++) {
    yield SKIP_STR; // name
    yield LEN;
    yield LEN; // last_id
    if (v >= 2) yield LEN; // entries_read
    const pel = yield LEN;
    for (let i = 0; i < pel; i++) yield PEL_ENTRY;
    const consumers = yield LEN;
    for (let c = 0; c < consumers; c++) {
      yield SKIP_STR; // name
      yield FIXED8; // seen-time
      if (v >= 3) yield FIXED8; // active-time
      const ids = yield LEN;
      for (let i = 0; i < ids; i++) yield FIXED16;
    }
    if (v >= 5) {
      const nacked = yield LEN;
      for (let i = 0; i < nacked; i++) yield FIXED16;
    }
  }
  if (v >= 4) {
    yield LEN; // idmp duration
    yield LEN; // idmp max entries
    const producers = yield LEN;
    for (let p = 0; p < producers; p++) {
      yield SKIP_STR;
      const count = yield LEN;
      for (let i = 0; i < count; i++) {
        yield SKIP_STR;
        yield LEN;
        yield LEN;
      }
    }
    yield LEN; // iids added
    yield LEN; // iids duplicates
  }
  return { kind: K.K_STREAM, length };
}

/** MODULE_2 (7): module id, then typed values up to the 0 opcode. */
export function* moduleValue(r: Reader): ValueTask {
  yield MODULE_ID;
  const module = r.text; // steps run before the generator resumes
  while ((yield MODULE_VALUE) !== 0);
  return { kind: K.K_MODULE, length: -1, module };
}

/** Redis 8.8 ARRAY (28): count, flag [insert index], then (index, tag, value) entries. */
export function* arrayValue(r: Reader): ValueTask {
  const count = yield LEN;
  const flag = yield LEN;
  if (flag === 1) yield LEN;
  for (let i = 0; i < count; i++) {
    yield LEN; // index
    const tag = yield LEN;
    if (tag === 0 || tag === 3) yield SKIP_STR;
    else if (tag === 1 || tag === 2) yield FIXED8;
    else throw new RdbFormatError('RDB_CORRUPT_VALUE', r.abs() - 1, 'array entry tag 0..3', `array entry tag ${tag}`);
  }
  return { kind: K.K_ARRAY, length: count };
}
