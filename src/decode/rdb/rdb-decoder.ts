// Streaming RDB decoder: fed the file chunk by chunk, it reports the header, each key (type, encoding, size
// in bytes, expiry) and the end (checksum) to a visitor, without ever holding the whole file. It keeps
// only the unconsumed tail of the bytes fed: one item (an opcode or a key with a string/blob value) is
// decoded at once when all its bytes are there; collections are walked element by element (values.ts);
// and big strings nobody needs are skipped as they stream by. Pure: no I/O, no clock; bad input ends in
// one error report (code, file offset, what was expected), after which bytes are only counted.

import * as C from './constants.js';
import { Crc64, hex64 } from './crc64.js';
import { intsetEntries, listpackEntries, ziplistEntries, zipmapEntries } from './containers.js';
import type { ChecksumStatus, RdbFileError, RdbFlavor } from '../../core/rdb-info.js';
import { NEED_MORE, RdbFormatError } from './errors.js';
import * as K from './kinds.js';
import { Reader, STR_INT, STR_LZF, STR_RAW } from './reader.js';
import * as V from './values.js';

export type { ChecksumStatus, RdbFlavor };

export interface RdbHeader {
  magic: 'REDIS' | 'VALKEY';
  version: number;
  flavor: RdbFlavor;
  aux: Record<string, string>;
  warnings: string[];
}

export interface RdbDecoderOptions {
  /** Compute the CRC-64 and compare it with the trailer (the default). Most of the cost of reading an RDB of
   *  large values; a replica verifies it too, so a live observer may leave it out. */
  verifyChecksum?: boolean;
}
export interface RdbEnd {
  /** offset just after the RDB (after the CRC64 trailer when there is one) */
  rdbBytes: number;
  checksum: ChecksumStatus;
  /** CRC64 stored in the trailer and computed over the file, as 16 hex digits */
  storedCrc?: string;
  computedCrc?: string;
}

export interface KeyRecord {
  db: number;
  /** the RDB type byte */
  rdbType: number;
  /** index into KINDS (TYPE / OBJECT ENCODING) */
  kind: number;
  /** serialized size: from the type byte to the end of the value */
  bytes: number;
  /** file offset of the type byte */
  pos: number;
  /** absolute expiry, unix ms; null = persistent */
  expireAt: number | null;
  /** elements (string: its length; list/set/zset/hash/stream/array: entries); -1 unknown (modules) */
  length: number;
  lfu: number | null;
  idleSec: number | null;
  module: string | null;
  /** The key's bytes: a view valid during the visitor call only. */
  name(): Buffer;
}

export interface RdbVisitor {
  header(h: RdbHeader): void;
  aux(key: string, value: string): void;
  /** every opcode, by name (AUX, SELECTDB, RESIZEDB, EXPIRETIME_MS, ...) */
  opcode(name: string): void;
  resizeDb(db: number, size: number, expires: number): void;
  key(k: KeyRecord): void;
  func(library: string | null, engine: string | null): void;
  moduleAux(module: string): void;
  /** the RDB is complete (called once, unless an error came first) */
  end(e: RdbEnd): void;
  /** bad or truncated input (called at most once; a CRC mismatch is reported here and then by end) */
  error(e: RdbFileError): void;
}

type State = 'magic' | 'items' | 'trailer' | 'done' | 'failed';
type TaskKind = 'key' | 'module-aux' | 'key-meta';
interface Task {
  kind: TaskKind;
  gen: V.ValueTask;
  step: V.Step;
}

/** Plain string values at least this long are skipped as they stream by instead of being buffered whole. */
const BIG_STRING = 64 * 1024;
/** The most bytes held for one element (a container blob, an LZF string...); bounds memory on corrupt lengths. */
const MAX_BUFFERED = 512 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);
const KEY_LABELS = Array.from({ length: 256 }, (_, t) => `a key of type ${t}${C.RDB_TYPE_NAMES[t] ? ` (${C.RDB_TYPE_NAMES[t]})` : ''}`);

export class RdbDecoder {
  private readonly r = new Reader();
  private state: State = 'magic';
  /** what is being read, for "truncated" reports */
  private label = 'the magic string';
  private mark = 0;
  /** private copy of unconsumed bytes carried between feeds */
  private store = EMPTY;
  private storeLen = 0;
  private consumedAbs = 0;
  private fed = 0;
  /** bytes after the end of the RDB (an AOF tail, a diskless EOF mark...) */
  trailingBytes = 0;

  private header: RdbHeader | null = null;
  private headerSent = false;
  private db = 0;
  private expireAt: number | null = null;
  private lfu: number | null = null;
  private idleSec: number | null = null;

  private task: Task | null = null;
  private skipRemaining = 0;

  // the current key: type byte, start offset, and where its name is (saved string fields or a private copy)
  private keyType = 0;
  private keyStart = 0;
  private kEnc = 0;
  private kStart = 0;
  private kLen = 0;
  private kUlen = 0;
  private kInt = 0;
  private kPos = 0;
  private keyCopy: Buffer | null = null;
  private readonly rec: KeyRecord;

  private readonly crc = new Crc64();
  private crcAbs = 0;
  private crcEndAbs = Number.MAX_SAFE_INTEGER;

  private readonly verifyChecksum: boolean;

  constructor(
    private readonly v: RdbVisitor,
    opts: RdbDecoderOptions = {},
  ) {
    this.verifyChecksum = opts.verifyChecksum ?? true;
    const name = (): Buffer => this.keyName();
    this.rec = { db: 0, rdbType: 0, kind: 0, bytes: 0, pos: 0, expireAt: null, length: 0, lfu: null, idleSec: null, module: null, name };
  }

  /** Bytes fed so far. */
  get bytes(): number {
    return this.fed;
  }

  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  feed(chunk: Buffer): void {
    this.fed += chunk.length;
    if (this.state === 'failed') return;
    if (this.state === 'done') {
      this.trailingBytes += chunk.length;
      return;
    }
    const r = this.r;
    let borrowed: boolean;
    if (this.storeLen === 0) {
      r.buf = chunk;
      r.end = chunk.length;
      borrowed = true;
    } else {
      this.append(chunk);
      if (this.consumedAbs + this.storeLen < r.needAbs && this.skipRemaining === 0) return;
      r.buf = this.store;
      r.end = this.storeLen;
      borrowed = false;
    }
    r.base = this.consumedAbs;
    r.pos = 0;
    this.run();
    this.flushCrc();
    const left = r.end - r.pos;
    this.consumedAbs = r.base + r.pos;
    if (left === 0) {
      this.storeLen = 0;
    } else if (borrowed) {
      this.storeLen = 0;
      this.append(chunk.subarray(r.pos, r.end));
    } else {
      this.store.copyWithin(0, r.pos, r.end);
      this.storeLen = left;
    }
    r.buf = EMPTY; // never keep the caller's chunk
    r.end = 0;
    r.pos = 0;
  }

  /** The input is over: reports truncation if the RDB did not end. */
  end(): void {
    if (this.finished) return;
    const missing = this.skipRemaining > 0 ? this.skipRemaining : Math.max(1, this.r.needAbs - this.fed);
    this.fail({
      code: 'RDB_TRUNCATED',
      pos: this.fed,
      expected: `${missing} more byte(s) of ${this.label}`,
      message: `the input ended inside ${this.label}, before the RDB's EOF opcode and checksum`,
    });
  }

  private append(chunk: Buffer): void {
    const need = Math.max(this.storeLen + chunk.length, this.r.needAbs - this.consumedAbs);
    if (need > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.store.length * 2, 4096));
      this.store.copy(grown, 0, 0, this.storeLen);
      this.store = grown;
    }
    chunk.copy(this.store, this.storeLen);
    this.storeLen += chunk.length;
  }

  private flushCrc(): void {
    if (!this.verifyChecksum) return;
    const upto = Math.min(this.r.base + this.r.pos, this.crcEndAbs);
    if (upto > this.crcAbs) {
      this.crc.update(this.r.buf, this.crcAbs - this.r.base, upto - this.r.base);
      this.crcAbs = upto;
    }
  }

  private run(): void {
    const r = this.r;
    try {
      for (;;) {
        if (this.skipRemaining > 0) {
          const n = Math.min(r.end - r.pos, this.skipRemaining);
          r.pos += n;
          this.skipRemaining -= n;
          if (this.skipRemaining > 0) return;
          this.advance(this.task!, 0);
          continue;
        }
        if (this.task !== null) {
          this.driveTask(this.task);
          continue;
        }
        if (this.state === 'items') this.readItem();
        else if (this.state === 'magic') this.readMagic();
        else if (this.state === 'trailer') this.readTrailer();
        else {
          if (this.state === 'done') this.trailingBytes += r.end - r.pos;
          r.pos = r.end;
          return;
        }
      }
    } catch (e) {
      if (e === NEED_MORE) {
        r.pos = this.mark;
        const item = r.needAbs - (r.base + this.mark);
        if (item > MAX_BUFFERED) {
          this.fail({
            code: 'RDB_UNSUPPORTED',
            pos: r.base + this.mark,
            expected: `at most ${MAX_BUFFERED} bytes for one element of ${this.label}`,
            message: `an element of ${item} bytes is too large to decode (a corrupt length?)`,
          });
          r.pos = r.end;
        }
        return;
      }
      if (e instanceof RdbFormatError) this.fail(e.info());
      else {
        const msg = e instanceof Error ? e.message : String(e);
        this.fail({ code: 'RDB_INTERNAL_ERROR', pos: r.base + this.mark, expected: this.label, message: `decoder error: ${msg}` });
      }
      r.pos = r.end;
    }
  }

  private fail(info: RdbFileError): void {
    this.state = 'failed';
    this.task = null;
    this.skipRemaining = 0;
    this.sendHeader();
    this.v.error(info);
  }

  private sendHeader(): void {
    if (this.headerSent || this.header === null) return;
    this.headerSent = true;
    this.v.header(this.header);
  }

  private readMagic(): void {
    const r = this.r;
    this.mark = r.pos;
    const p = r.fixed(9);
    const text = r.buf.toString('latin1', p, p + 9);
    let magic: 'REDIS' | 'VALKEY';
    let digits: string;
    if (text.startsWith('REDIS')) {
      magic = 'REDIS';
      digits = text.slice(5);
    } else if (text.startsWith('VALKEY')) {
      magic = 'VALKEY';
      digits = text.slice(6);
    } else if (text.startsWith('VKCS')) {
      throw new RdbFormatError(
        'RDB_COMPRESSED_ENVELOPE',
        0,
        '"REDIS" or "VALKEY"',
        'a Valkey compressed stream envelope (VKCS) wraps this RDB; it cannot be decoded, only counted',
      );
    } else {
      throw new RdbFormatError('RDB_BAD_MAGIC', 0, '"REDIS" or "VALKEY" followed by the version', `not an RDB file: starts with ${JSON.stringify(text)}`);
    }
    if (!/^\d+$/.test(digits) || Number(digits) === 0) {
      throw new RdbFormatError('RDB_BAD_VERSION', magic.length, 'a decimal RDB version >= 1', `bad RDB version ${JSON.stringify(digits)}`);
    }
    const version = Number(digits);
    const flavor: RdbFlavor = magic === 'VALKEY' ? 'valkey' : version <= 11 ? 'shared' : 'redis';
    const warnings: string[] = [];
    if (magic === 'REDIS' && version > C.NEWEST_REDIS_RDB_VERSION) {
      warnings.push(`RDB version ${version} is newer than this decoder knows (${C.NEWEST_REDIS_RDB_VERSION}); decoding as Redis`);
    }
    if (magic === 'VALKEY' && (version < 80 || version > C.NEWEST_VALKEY_RDB_VERSION)) {
      warnings.push(`Valkey RDB version ${version} is not one this decoder knows (80, 81); decoding as Valkey 9`);
    }
    this.header = { magic, version, flavor, aux: {}, warnings };
    this.state = 'items';
    this.label = 'an opcode or key';
  }

  private readItem(): void {
    const r = this.r;
    this.mark = r.pos;
    const op = r.u8();
    if (op < C.RDB_OPCODE_UPDATE_VALKEY) {
      if (!this.headerSent) this.sendHeader();
      if (op === C.RDB_TYPE_STRING && this.readShortStrings()) return;
      this.readKey(op);
      return;
    }
    if (op !== C.RDB_OPCODE_AUX && !this.headerSent) this.sendHeader();
    const header = this.header!;
    this.label = `the ${C.OPCODE_NAMES[op]} opcode`;
    switch (op) {
      case C.RDB_OPCODE_AUX: {
        r.str();
        const key = r.strText();
        r.str();
        const value = r.strText();
        if (!this.headerSent) header.aux[key] = value;
        this.v.opcode('AUX');
        this.v.aux(key, value);
        return;
      }
      case C.RDB_OPCODE_SELECTDB:
        this.db = r.len();
        break;
      case C.RDB_OPCODE_RESIZEDB: {
        const size = r.len();
        const expires = r.len();
        this.v.resizeDb(this.db, size, expires);
        break;
      }
      case C.RDB_OPCODE_EXPIRETIME_MS:
        this.expireAt = r.i64le(r.fixed(8));
        break;
      case C.RDB_OPCODE_EXPIRETIME: {
        const p = r.fixed(4);
        this.expireAt = r.buf.readInt32LE(p) * 1000;
        break;
      }
      case C.RDB_OPCODE_FREQ:
        this.lfu = r.u8();
        break;
      case C.RDB_OPCODE_IDLE:
        this.idleSec = r.len();
        break;
      case C.RDB_OPCODE_SLOT_INFO:
        r.len();
        r.len();
        r.len();
        break;
      case C.RDB_OPCODE_FUNCTION2: {
        r.str();
        const code = r.strBytes();
        const m = /^#!(\w+)[^\n]*?\bname=([^\s]+)/.exec(code.toString('utf8', 0, Math.min(code.length, 512)));
        this.v.func(m ? m[2] : null, m ? m[1] : null);
        break;
      }
      case C.RDB_OPCODE_FUNCTION_PRE_GA: {
        r.str();
        const name = r.strText();
        r.str();
        const engine = r.strText();
        if (r.len() === 1) r.str(); // description
        r.str(); // code
        this.v.func(name, engine);
        break;
      }
      case C.RDB_OPCODE_MODULE_AUX:
        this.startTask('module-aux', moduleAuxValue(r));
        return;
      case C.RDB_OPCODE_KEY_META_OR_SLOT_IMPORT:
        if (header.flavor === 'redis') {
          this.startTask('key-meta', keyMetaValue());
          return;
        }
        throw this.unsupportedOpcode(op, header.flavor === 'valkey' ? "Valkey's SLOT_IMPORT (layout not documented)" : 'not an opcode before RDB 12');
      case C.RDB_OPCODE_UPDATE_VALKEY:
        throw this.unsupportedOpcode(op, header.flavor === 'valkey' ? "Valkey's UPDATE (unstable, layout not documented)" : 'not an opcode in this RDB flavor');
      case C.RDB_OPCODE_EOF: {
        this.crcEndAbs = r.abs();
        this.flushCrc();
        this.v.opcode('EOF');
        if (header.version >= 5) {
          this.state = 'trailer';
          this.label = 'the CRC64 trailer';
        } else {
          this.finish({ rdbBytes: r.abs(), checksum: 'absent' });
        }
        return;
      }
    }
    this.v.opcode(C.OPCODE_NAMES[op]);
  }

  private unsupportedOpcode(op: number, what: string): RdbFormatError {
    return new RdbFormatError('RDB_UNSUPPORTED', this.r.base + this.mark, 'an opcode or type this decoder can read', `opcode ${op}: ${what}`);
  }

  private readTrailer(): void {
    const r = this.r;
    this.mark = r.pos;
    const p = r.fixed(8);
    const b = r.buf;
    const lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    const hi = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
    const storedCrc = hex64(hi, lo);
    if (!this.verifyChecksum) {
      this.finish({ rdbBytes: r.abs(), checksum: lo === 0 && hi === 0 ? 'not-computed' : 'not-verified', storedCrc });
      return;
    }
    const computedCrc = this.crc.hex();
    if (lo === 0 && hi === 0) {
      this.finish({ rdbBytes: r.abs(), checksum: 'not-computed', storedCrc, computedCrc });
      return;
    }
    const ok = lo === this.crc.lo && hi === this.crc.hi;
    if (!ok) {
      this.v.error({
        code: 'RDB_CRC_MISMATCH',
        pos: r.base + p,
        expected: `CRC64 ${computedCrc} (computed over bytes 0..${r.base + p - 1})`,
        message: `checksum mismatch: the trailer says ${storedCrc}; the file is corrupt or was altered`,
      });
    }
    this.finish({ rdbBytes: r.abs(), checksum: ok ? 'verified' : 'mismatch', storedCrc, computedCrc });
  }

  private finish(e: RdbEnd): void {
    this.state = 'done';
    this.label = 'nothing (the RDB ended)';
    this.sendHeader();
    this.v.end(e);
  }

  /**
   * The commonest keys, read without the general string machinery: string keys whose key and value are both
   * raw with a 6- or 14-bit length (< 16 KiB) and wholly in the window, one after another. Called just after a STRING
   * type byte; returns true at an item boundary, or false with r.pos just after a STRING type byte (and mark
   * at it) whose key the general path must read.
   */
  private readShortStrings(): boolean {
    const r = this.r;
    const b = r.buf;
    const end = r.end;
    for (;;) {
      const keyAt = r.pos;
      if (keyAt + 1 >= end) return false;
      let h = b[keyAt];
      const keyHeader = h < 0x40 ? 1 : h < 0x80 ? 2 : 0;
      if (keyHeader === 0) return false;
      const keyLen = keyHeader === 1 ? h : ((h & 0x3f) << 8) | b[keyAt + 1];
      const valueAt = keyAt + keyHeader + keyLen;
      if (valueAt + 1 >= end) return false;
      h = b[valueAt];
      const valueHeader = h < 0x40 ? 1 : h < 0x80 ? 2 : 0;
      if (valueHeader === 0) return false;
      const length = valueHeader === 1 ? h : ((h & 0x3f) << 8) | b[valueAt + 1];
      const next = valueAt + valueHeader + length;
      if (next > end) return false;
      this.keyType = C.RDB_TYPE_STRING;
      this.label = KEY_LABELS[C.RDB_TYPE_STRING];
      this.kEnc = STR_RAW;
      this.kStart = keyAt + keyHeader;
      this.kLen = this.kUlen = keyLen;
      this.kPos = r.base + keyAt;
      r.pos = next;
      this.commitKey(K.stringKind(b, valueAt + valueHeader, length), length, null);
      if (next >= end || b[next] !== C.RDB_TYPE_STRING) return true;
      this.mark = next;
      r.pos = next + 1;
    }
  }

  private readKey(type: number): void {
    const r = this.r;
    this.keyType = type;
    this.label = KEY_LABELS[type];
    r.str();
    this.kEnc = r.sEnc;
    this.kStart = r.sStart;
    this.kLen = r.sLen;
    this.kUlen = r.sUlen;
    this.kInt = r.sInt;
    this.kPos = r.sPos;
    let kind: number;
    let length: number;
    switch (type) {
      case C.RDB_TYPE_STRING: {
        const valueStart = r.pos;
        r.strHeader();
        if (r.sEnc !== STR_INT && r.sLen >= BIG_STRING) {
          r.pos = valueStart;
          this.startTask('key', bigStringValue(r));
          return;
        }
        r.strBody(valueStart);
        length = r.sUlen;
        kind = r.sEnc === STR_INT ? K.K_STRING_INT : r.sEnc === STR_LZF ? K.stringKindByLength(length) : K.stringKind(r.buf, r.sStart, length);
        break;
      }
      case C.RDB_TYPE_SET_INTSET:
        r.str();
        kind = K.K_SET_INTSET;
        length = intsetEntries(r.strBytes(), r.sPos).count;
        break;
      case C.RDB_TYPE_HASH_ZIPMAP:
        r.str();
        kind = K.K_HASH_ZIPMAP;
        length = zipmapEntries(r.strBytes(), r.sPos);
        break;
      case C.RDB_TYPE_LIST_ZIPLIST:
        r.str();
        kind = K.K_LIST_ZIPLIST;
        length = ziplistEntries(r.strBytes(), r.sPos);
        break;
      case C.RDB_TYPE_ZSET_ZIPLIST:
        r.str();
        kind = K.K_ZSET_ZIPLIST;
        length = pairs(ziplistEntries(r.strBytes(), r.sPos), 2, r.sPos, 'zset ziplist');
        break;
      case C.RDB_TYPE_HASH_ZIPLIST:
        r.str();
        kind = K.K_HASH_ZIPLIST;
        length = pairs(ziplistEntries(r.strBytes(), r.sPos), 2, r.sPos, 'hash ziplist');
        break;
      case C.RDB_TYPE_HASH_LISTPACK:
        r.str();
        kind = K.K_HASH_LISTPACK;
        length = pairs(listpackEntries(r.strBytes(), r.sPos), 2, r.sPos, 'hash listpack');
        break;
      case C.RDB_TYPE_ZSET_LISTPACK:
        r.str();
        kind = K.K_ZSET_LISTPACK;
        length = pairs(listpackEntries(r.strBytes(), r.sPos), 2, r.sPos, 'zset listpack');
        break;
      case C.RDB_TYPE_SET_LISTPACK:
        r.str();
        kind = K.K_SET_LISTPACK;
        length = listpackEntries(r.strBytes(), r.sPos);
        break;
      default: {
        const task = this.valueTask(type);
        if (task === null) throw this.unknownType(type);
        this.startTask('key', task);
        return;
      }
    }
    this.commitKey(kind, length, null);
  }

  /** Decoders for values that are not a single blob; null for type bytes unknown in this file's flavor. */
  private valueTask(type: number): V.ValueTask | null {
    const r = this.r;
    const { flavor, version } = this.header!;
    switch (type) {
      case C.RDB_TYPE_LIST:
        return V.listValue(K.K_LIST_LINKEDLIST);
      case C.RDB_TYPE_SET:
        return V.listValue(K.K_SET_HASHTABLE);
      case C.RDB_TYPE_ZSET:
        return V.zsetAsciiValue();
      case C.RDB_TYPE_HASH:
        return V.hashValue();
      case C.RDB_TYPE_ZSET_2:
        return V.zset2Value();
      case C.RDB_TYPE_MODULE_2:
        return V.moduleValue(r);
      case C.RDB_TYPE_LIST_QUICKLIST:
        return V.quicklistValue();
      case C.RDB_TYPE_LIST_QUICKLIST_2:
        return V.quicklist2Value(r, version);
      case C.RDB_TYPE_STREAM_LISTPACKS:
        return V.streamValue(1);
      case C.RDB_TYPE_STREAM_LISTPACKS_2:
        return V.streamValue(2);
      case C.RDB_TYPE_STREAM_LISTPACKS_3:
        return V.streamValue(3);
    }
    if (flavor === 'valkey') return type === C.RDB_TYPE_HASH_2_VALKEY ? V.valkeyHash2Value() : null;
    if (flavor !== 'redis') return null;
    switch (type) {
      case C.RDB_TYPE_HASH_METADATA_PRE_GA:
        return V.hashMetadataValue(false);
      case C.RDB_TYPE_HASH_LISTPACK_EX_PRE_GA:
        return listpackExValue(false);
      case C.RDB_TYPE_HASH_METADATA:
        return V.hashMetadataValue(true);
      case C.RDB_TYPE_HASH_LISTPACK_EX:
        return listpackExValue(true);
      case C.RDB_TYPE_STREAM_LISTPACKS_4:
        return V.streamValue(4);
      case C.RDB_TYPE_STREAM_LISTPACKS_5:
        return V.streamValue(5);
      case C.RDB_TYPE_ARRAY:
        return V.arrayValue(r);
    }
    return null;
  }

  private unknownType(type: number): RdbFormatError {
    const h = this.header!;
    const why =
      type === C.RDB_TYPE_MODULE_PRE_GA
        ? 'object type 6: a module value in the pre-GA format of Redis 4.0 release candidates, which cannot be decoded'
        : type === 23 && h.flavor === 'valkey'
          ? "object type 23: Valkey's PATH_HASH, whose layout is not documented"
          : `unsupported object type ${type} in a ${h.magic} RDB version ${h.version}`;
    return new RdbFormatError('RDB_UNKNOWN_TYPE', this.r.base + this.mark, 'an opcode (242..255) or a known object type', why);
  }

  private startTask(kind: TaskKind, gen: V.ValueTask): void {
    if (kind === 'key') {
      this.keyStart = this.r.base + this.mark;
      this.keyCopy = Buffer.from(this.keyName()); // the name leaves the window while the value streams in
    }
    const first = gen.next(0);
    if (first.done) {
      this.finishTask(kind, first.value);
      return;
    }
    this.task = { kind, gen, step: first.value };
  }

  private driveTask(t: Task): void {
    const r = this.r;
    for (;;) {
      this.mark = r.pos;
      let v: number;
      if (t.step === V.SKIP_STR) {
        const rest = r.skipStr();
        if (rest > 0) {
          this.skipRemaining = rest;
          return;
        }
        v = 0;
      } else {
        v = t.step(r);
      }
      if (!this.advance(t, v)) return;
    }
  }

  /** Hands a step's result to the task: false when the task is over (and reported), else t.step is its next step. */
  private advance(t: Task, v: number): boolean {
    const next = t.gen.next(v);
    if (next.done) {
      this.task = null;
      this.finishTask(t.kind, next.value);
      return false;
    }
    t.step = next.value;
    return true;
  }

  private finishTask(kind: TaskKind, res: V.ValueResult): void {
    if (kind === 'key') {
      this.commitKey(res.kind, res.length, res.module ?? null);
    } else if (kind === 'module-aux') {
      this.v.opcode('MODULE_AUX');
      this.v.moduleAux(res.module ?? '?');
    } else {
      this.v.opcode('KEY_META');
    }
  }

  private commitKey(kind: number, length: number, module: string | null): void {
    const rec = this.rec;
    const start = this.keyCopy !== null ? this.keyStart : this.r.base + this.mark;
    rec.db = this.db;
    rec.rdbType = this.keyType;
    rec.kind = kind;
    rec.pos = start;
    rec.bytes = this.r.abs() - start;
    rec.expireAt = this.expireAt;
    rec.length = length;
    rec.lfu = this.lfu;
    rec.idleSec = this.idleSec;
    rec.module = module;
    this.v.key(rec);
    this.expireAt = null;
    this.lfu = null;
    this.idleSec = null;
    this.keyCopy = null;
  }

  private keyName(): Buffer {
    if (this.keyCopy !== null) return this.keyCopy;
    return this.r.decodeStr(this.kEnc, this.kStart, this.kLen, this.kUlen, this.kInt, this.kPos);
  }
}

function pairs(entries: number, width: number, at: number, what: string): number {
  if (entries % width !== 0) {
    throw new RdbFormatError('RDB_CORRUPT_CONTAINER', at, `a multiple of ${width} entries`, `${what} holds ${entries} entries`);
  }
  return entries / width;
}

function* bigStringValue(r: Reader): V.ValueTask {
  yield V.SKIP_STR;
  return { kind: K.K_STRING_RAW, length: r.sUlen };
}

/** HASH_LISTPACK_EX (25, with minExpire) and its 7.4-RC form (23): a listpack of (field, value, expireAt). */
function* listpackExValue(withMinExpire: boolean): V.ValueTask {
  if (withMinExpire) yield V.FIXED8;
  const n = yield LISTPACK_TRIPLETS;
  return { kind: K.K_HASH_LISTPACKEX, length: n };
}
const LISTPACK_TRIPLETS: V.Step = (r) => {
  r.str();
  return pairs(listpackEntries(r.strBytes(), r.sPos), 3, r.sPos, 'hash listpack-ex');
};

function* moduleAuxValue(r: Reader): V.ValueTask {
  yield V.MODULE_ID;
  const module = r.text;
  const whenOpcode = yield V.LEN;
  if (whenOpcode !== 2) {
    throw new RdbFormatError('RDB_CORRUPT_VALUE', r.abs() - 1, 'module aux "when" as a UINT (opcode 2)', `opcode ${whenOpcode}`);
  }
  yield V.LEN; // when: 1 = before keys, 2 = after
  while ((yield V.MODULE_VALUE) !== 0);
  return { kind: -1, length: -1, module };
}

/** Redis 8.6 KEY_META: per metadata class a 4-byte class spec and module-typed values up to 0. */
function* keyMetaValue(): V.ValueTask {
  const classes = yield V.LEN;
  for (let i = 0; i < classes; i++) {
    yield V.FIXED4;
    while ((yield V.MODULE_VALUE) !== 0);
  }
  return { kind: -1, length: -1 };
}
