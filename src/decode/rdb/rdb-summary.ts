// Aggregates what the RDB decoder reports into a JSON-able summary: header and aux fields, keys per db and
// per type/encoding, expiries, the largest keys, functions, modules and the checksum. Per key it only bumps
// counters; a key's name is decoded only when it enters the top N or someone asked for every key.

import { isUtf8 } from 'node:buffer';
import { OPCODE_NAMES, RDB_TYPE_NAMES } from './constants.js';
import type { RdbDbSummary, RdbFileError, RdbHeaderInfo, RdbLargeKey, RdbSummary } from '../../core/rdb-info.js';
import { KINDS } from './kinds.js';
import type { KeyRecord, RdbEnd, RdbHeader, RdbVisitor } from './rdb-decoder.js';

/** One key as `repl-spy inspect --keys` prints it. */
export interface KeyInfo {
  db: number;
  /** the key as UTF-8 text (invalid sequences replaced: see keyHex) */
  key: string;
  /** the key's bytes in hex, present only when they are not valid UTF-8 */
  keyHex?: string;
  /** as the TYPE command names it (a module's own type name for module values) */
  type: string;
  /** as OBJECT ENCODING names it on the server that wrote the file (legacy containers by their own name) */
  encoding: string;
  /** bytes the key takes in the RDB */
  size: number;
  /** elements (string: length in bytes); absent when unknown */
  length?: number;
  /** absolute expiry, unix ms; null = persistent */
  expiry: number | null;
  /** RDB type byte */
  rdbType: number;
  /** file offset of the key */
  pos: number;
}

interface DbStats {
  keys: number;
  expires: number;
  kinds: number[];
  resizeHint?: { keys: number; expires: number };
}


const MAX_AUX_CHARS = 256;

export class RdbSummaryBuilder implements RdbVisitor {
  header_: RdbHeader | null = null;
  private readonly auxFields: Record<string, string> = {};
  private readonly dbs = new Map<number, DbStats>();
  private curDbNo = -1;
  private cur: DbStats | null = null;
  private keys = 0;
  private expires = 0;
  private emptyKeys = 0;
  private readonly rdbTypes = new Array<number>(256).fill(0);
  private readonly opcodes: Record<string, number> = {};
  private readonly top: RdbLargeKey[] = []; // ascending by bytes
  /** a key enters the top only when larger than this: -1 until the top is full, then its smallest */
  private topFloor = -1;
  private readonly functions: { library: string | null; engine: string | null }[] = [];
  private readonly modules = new Set<string>();
  end_: RdbEnd | null = null;
  error_: RdbFileError | null = null;

  constructor(
    private readonly topN = 10,
    private readonly onKey?: (k: KeyInfo) => void,
  ) {
    if (topN <= 0) this.topFloor = Infinity;
  }

  header(h: RdbHeader): void {
    this.header_ = h;
  }

  aux(key: string, value: string): void {
    this.auxFields[key] = value.length > MAX_AUX_CHARS ? `${value.slice(0, MAX_AUX_CHARS)}... (${value.length} chars)` : value;
  }

  opcode(name: string): void {
    this.opcodes[name] = (this.opcodes[name] ?? 0) + 1;
  }

  resizeDb(db: number, keys: number, expires: number): void {
    this.db(db).resizeHint = { keys, expires };
  }

  func(library: string | null, engine: string | null): void {
    this.functions.push({ library, engine });
  }

  moduleAux(module: string): void {
    this.modules.add(module);
  }

  end(e: RdbEnd): void {
    this.end_ = e;
  }

  error(e: RdbFileError): void {
    if (this.error_ === null) this.error_ = e;
  }

  key(k: KeyRecord): void {
    if (k.db !== this.curDbNo) {
      this.cur = this.db(k.db);
      this.curDbNo = k.db;
    }
    const s = this.cur!;
    this.keys++;
    s.keys++;
    s.kinds[k.kind]++;
    this.rdbTypes[k.rdbType]++;
    if (k.expireAt !== null) {
      this.expires++;
      s.expires++;
    }
    if (k.length === 0) this.emptyKeys++;
    if (k.module !== null) this.modules.add(k.module);
    if (k.bytes > this.topFloor) this.insertTop(k);
    if (this.onKey) this.onKey(keyInfo(k));
  }

  private db(n: number): DbStats {
    let s = this.dbs.get(n);
    if (!s) {
      s = { keys: 0, expires: 0, kinds: new Array<number>(KINDS.length).fill(0) };
      this.dbs.set(n, s);
      this.curDbNo = -1;
    }
    return s;
  }

  private insertTop(k: KeyRecord): void {
    const kind = KINDS[k.kind];
    const entry: RdbLargeKey = { db: k.db, key: keyText(k.name()).key, type: k.module ?? kind.type, encoding: kind.encoding, bytes: k.bytes };
    if (this.top.length >= this.topN) this.top.shift();
    let i = this.top.length;
    while (i > 0 && this.top[i - 1].bytes > entry.bytes) i--;
    this.top.splice(i, 0, entry);
    if (this.top.length >= this.topN) this.topFloor = this.top[0].bytes;
  }

  /** Fields for the 'header' report (once the header is known). */
  headerInfo(h: RdbHeader): RdbHeaderInfo {
    return { magic: h.magic, version: h.version, flavor: h.flavor, aux: { ...h.aux }, ...(h.warnings.length ? { warnings: h.warnings } : {}) };
  }

  /** The summary as plain JSON-able data; `bytes` is how many bytes were fed. */
  toJSON(bytes: number, trailingBytes: number): RdbSummary {
    const h = this.header_;
    const types: Record<string, Record<string, number>> = {};
    const dbs: Record<string, RdbDbSummary> = {};
    for (const [n, s] of [...this.dbs.entries()].sort((a, b) => a[0] - b[0])) {
      const dbTypes: Record<string, number> = {};
      s.kinds.forEach((count, i) => {
        if (count === 0) return;
        const { type, encoding } = KINDS[i];
        (types[type] ??= {})[encoding] = (types[type][encoding] ?? 0) + count;
        dbTypes[`${type}/${encoding}`] = count;
      });
      dbs[String(n)] = { keys: s.keys, expires: s.expires, types: dbTypes, ...(s.resizeHint ? { resizeHint: s.resizeHint } : {}) };
    }
    const rdbTypes: Record<string, number> = {};
    this.rdbTypes.forEach((count, t) => {
      if (count > 0) rdbTypes[rdbTypeName(t, h)] = count;
    });
    const aux = this.auxFields;
    const e = this.end_;
    return {
      magic: h?.magic ?? null,
      version: h?.version ?? null,
      flavor: h?.flavor ?? null,
      ...(h && h.warnings.length ? { warnings: h.warnings } : {}),
      serverVersion: aux['valkey-ver'] ?? aux['redis-ver'] ?? null,
      replId: aux['repl-id'] ?? null,
      replOffset: aux['repl-offset'] !== undefined ? Number(aux['repl-offset']) : null,
      aofBase: (aux['aof-base'] ?? aux['aof-preamble']) === '1',
      aux,
      keys: this.keys,
      keysWithExpiry: this.expires,
      emptyKeys: this.emptyKeys,
      dbs,
      types,
      rdbTypes,
      opcodes: this.opcodes,
      largestKeys: [...this.top].reverse(),
      functions: this.functions,
      modules: [...this.modules],
      checksum: e ? e.checksum : null,
      ...(e?.storedCrc ? { storedCrc: e.storedCrc, computedCrc: e.computedCrc } : {}),
      complete: e !== null,
      bytes: e ? e.rdbBytes : bytes,
      trailingBytes,
      ...(this.error_ ? { error: this.error_ } : {}),
    };
  }
}

function rdbTypeName(t: number, h: RdbHeader | null): string {
  if (h?.flavor === 'valkey' && t === 22) return 'HASH_2';
  if (h?.flavor === 'valkey' && t === 23) return 'PATH_HASH';
  return RDB_TYPE_NAMES[t] ?? OPCODE_NAMES[t] ?? `TYPE_${t}`;
}

function keyText(b: Buffer): { key: string; keyHex?: string } {
  const key = b.toString('utf8');
  return isUtf8(b) ? { key } : { key, keyHex: b.toString('hex') };
}

export function keyInfo(k: KeyRecord): KeyInfo {
  const kind = KINDS[k.kind];
  return {
    db: k.db,
    ...keyText(k.name()),
    type: k.module ?? kind.type,
    encoding: kind.encoding,
    size: k.bytes,
    ...(k.length >= 0 ? { length: k.length } : {}),
    expiry: k.expireAt,
    rdbType: k.rdbType,
    pos: k.pos,
  };
}
