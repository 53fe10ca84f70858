// The capture file format: what crossed the proxy, byte for byte, with arrival times.
//
//   header:  magic "RSPY-CAP" (8) | u16 format version | u32 meta length | meta JSON | u32 CRC32 of all before
//   record:  u32 body length | body | u32 CRC32 of (length + body)
//   body:    u8 kind | u32 link | f64 at | u8 direction | payload
//
// The payload of a `bytes` record is the raw chunk (decrypted, for a TLS leg: what Redis sent); `tick` and `end`
// have none; every other kind carries a small JSON object. Version 2 added the TLS facts of an `open` record
// (`tls`). Version 3 added two record kinds (the layout is unchanged): `tick` (the live clock, link 0) and
// `server-info` (a server's INFO replication read on a side connection, link 0). Version 4 added `side-event` (a
// decoded event no wire byte tells, as JSON: the cluster topology, the lab's failover steps; link 0). The last record of a cleanly
// closed capture is `end`, so a file cut at a record boundary is still recognised as cut. All integers are
// big-endian. FORMAT_VERSION is the file's own version, independent of the package version: bump it for any
// layout change and teach compat.ts to read the older one.
import { crc32 } from 'node:zlib';
import { isGapReason, SIDE_EVENT_TYPES, type SideEvent, type From, type LinkTls, type WireEvent, type WireGap } from '../core/events.js';
import type { CaptureErrorCode } from './errors.js';

export const CAPTURE_MAGIC = Buffer.from('RSPY-CAP', 'latin1');
export const FORMAT_VERSION = 4;
export const CAPTURE_EXTENSION = 'rspy';

/** magic + version: enough to tell a capture (and which version) from anything else */
export const HEADER_PREFIX_BYTES = CAPTURE_MAGIC.length + 2;
const HEADER_FIXED_BYTES = HEADER_PREFIX_BYTES + 4;
const RECORD_LENGTH_BYTES = 4;
const RECORD_FIXED_BODY_BYTES = 1 + 4 + 8 + 1;
const CRC_BYTES = 4;
/** Where a record's payload starts within its encoded form. */
const RECORD_PAYLOAD_OFFSET = RECORD_LENGTH_BYTES + RECORD_FIXED_BODY_BYTES;

export interface CaptureMeta {
  /** epoch ms when the capture started */
  startedAt: number;
  /** the master the proxy dialled, "host:port" */
  upstream: string;
  tool: { name: string; version: string };
  options: { captureRdb: 'full' | 'none'; captureSecrets: boolean };
}

/** The record after the last event of a cleanly closed capture. */
export interface CaptureEnd {
  kind: 'end';
  at: number;
}

export type CaptureRecord = WireEvent | CaptureEnd;

export const RECORD_KIND = { open: 1, bytes: 2, gap: 3, close: 4, fault: 5, end: 6, tick: 7, 'server-info': 8, 'side-event': 9 } as const;
const DIRECTION = { none: 0, master: 1, replica: 2, proxy: 3 } as const;
type Direction = keyof typeof DIRECTION;

export function encodeHeader(meta: CaptureMeta): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const out = Buffer.alloc(HEADER_FIXED_BYTES + json.length + CRC_BYTES);
  CAPTURE_MAGIC.copy(out, 0);
  out.writeUInt16BE(FORMAT_VERSION, CAPTURE_MAGIC.length);
  out.writeUInt32BE(json.length, HEADER_PREFIX_BYTES);
  json.copy(out, HEADER_FIXED_BYTES);
  out.writeUInt32BE(crc32(out.subarray(0, out.length - CRC_BYTES)), out.length - CRC_BYTES);
  return out;
}

/** Encodes one record as a single buffer. */
export function encodeRecord(r: CaptureRecord): Buffer {
  return Buffer.concat(encodeRecordParts(r));
}

/** Encodes one record as [head, payload, checksum], ready for writev. A `bytes` payload is the chunk itself,
 *  not a copy: the forward path only hands over a reference. */
export function encodeRecordParts(r: CaptureRecord): [Buffer, Buffer, Buffer] {
  let direction: Direction = 'none';
  let payload: Buffer;
  switch (r.kind) {
    case 'open':
      payload = json({ replica: r.replica, master: r.master, ...(r.via ? { via: r.via } : {}), ...(r.listeners ? { listeners: r.listeners } : {}), ...(r.tls ? { tls: r.tls } : {}), ...(r.streamDb !== undefined ? { streamDb: r.streamDb } : {}), ...(r.replication ? { replication: true } : {}) });
      break;
    case 'bytes':
      direction = r.from;
      payload = r.chunk;
      break;
    case 'gap':
      direction = r.from;
      payload = json({ bytes: r.bytes, reason: r.reason, pos: r.pos, sha256: r.sha256, untilAt: r.untilAt });
      break;
    case 'close':
      direction = r.by;
      payload = json({ reason: r.reason });
      break;
    case 'fault':
      payload = json({ fault: r.fault, detail: r.detail });
      break;
    case 'server-info':
      payload = json({ server: r.server, text: r.text });
      break;
    case 'side-event':
      payload = json(r.event);
      break;
    case 'tick':
    case 'end':
      payload = Buffer.alloc(0);
      break;
  }
  const head = Buffer.allocUnsafe(RECORD_PAYLOAD_OFFSET);
  let o = head.writeUInt32BE(RECORD_FIXED_BODY_BYTES + payload.length, 0);
  o = head.writeUInt8(RECORD_KIND[r.kind], o);
  o = head.writeUInt32BE('link' in r ? r.link : 0, o);
  o = head.writeDoubleBE(r.at, o);
  head.writeUInt8(DIRECTION[direction], o);
  const crc = Buffer.allocUnsafe(CRC_BYTES);
  crc.writeUInt32BE(crc32(payload, crc32(head)), 0);
  return [head, payload, crc];
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

// ---------------------------------------------------------------- decoding (pure: buffers in, results out)

/** A problem found while decoding; `offset` is relative to the buffer given (the reader makes it absolute). */
export interface FormatProblem {
  problem: string;
  offset: number;
}

export type HeaderResult =
  | { ok: true; version: number; meta: CaptureMeta; length: number }
  | { ok: false; need: number }
  | ({ ok: false; need?: undefined; code: CaptureErrorCode } & FormatProblem);

/** Reads the header from the first bytes of a file. `need` asks for at least that many bytes. */
export function decodeHeader(buf: Buffer): HeaderResult {
  const magicSeen = buf.subarray(0, CAPTURE_MAGIC.length);
  if (!CAPTURE_MAGIC.subarray(0, magicSeen.length).equals(magicSeen)) {
    const problem = 'not a repl-spy capture (no "RSPY-CAP" magic at the start)';
    return { ok: false, code: 'RSPY_CAPTURE_NOT_A_CAPTURE', problem, offset: 0 };
  }
  if (buf.length < HEADER_FIXED_BYTES) return { ok: false, need: HEADER_FIXED_BYTES };
  const version = buf.readUInt16BE(CAPTURE_MAGIC.length);
  if (version > FORMAT_VERSION) {
    return {
      ok: false,
      problem: `capture format version ${version} is newer than this repl-spy reads (1 to ${FORMAT_VERSION}); upgrade repl-spy`,
      offset: CAPTURE_MAGIC.length,
      code: 'RSPY_CAPTURE_VERSION',
    };
  }
  if (version === 0) {
    return { ok: false, code: 'RSPY_CAPTURE_FORMAT', problem: 'capture format version 0 does not exist', offset: CAPTURE_MAGIC.length };
  }
  const metaLength = buf.readUInt32BE(HEADER_PREFIX_BYTES);
  const length = HEADER_FIXED_BYTES + metaLength + CRC_BYTES;
  if (buf.length < length) return { ok: false, need: length };
  const crcAt = length - CRC_BYTES;
  if (crc32(buf.subarray(0, crcAt)) !== buf.readUInt32BE(crcAt)) {
    return { ok: false, code: 'RSPY_CAPTURE_FORMAT', problem: 'header checksum mismatch (the header is damaged)', offset: 0 };
  }
  let meta: CaptureMeta;
  try {
    meta = JSON.parse(buf.toString('utf8', HEADER_FIXED_BYTES, crcAt)) as CaptureMeta;
  } catch {
    return { ok: false, code: 'RSPY_CAPTURE_FORMAT', problem: 'header metadata is not valid JSON', offset: HEADER_FIXED_BYTES };
  }
  return { ok: true, version, meta, length };
}

export type RecordResult =
  | { ok: true; record: CaptureRecord; length: number }
  | { ok: false; need: number }
  | ({ ok: false; need?: undefined } & FormatProblem);

/** Reads the record that starts at `buf[0]`. `need` asks for at least that many bytes. */
export function decodeRecord(buf: Buffer): RecordResult {
  if (buf.length < RECORD_LENGTH_BYTES) return { ok: false, need: RECORD_LENGTH_BYTES };
  const bodyLength = buf.readUInt32BE(0);
  if (bodyLength < RECORD_FIXED_BODY_BYTES) {
    return { ok: false, problem: `record length ${bodyLength} is too small (damaged length field)`, offset: 0 };
  }
  const length = RECORD_LENGTH_BYTES + bodyLength + CRC_BYTES;
  if (buf.length < length) return { ok: false, need: length };
  const crcAt = length - CRC_BYTES;
  if (crc32(buf.subarray(0, crcAt)) !== buf.readUInt32BE(crcAt)) {
    return { ok: false, problem: 'record checksum mismatch (the record is damaged)', offset: 0 };
  }
  const kindCode = buf.readUInt8(4);
  const link = buf.readUInt32BE(5);
  const at = buf.readDoubleBE(9);
  const direction = directionName(buf.readUInt8(17));
  const payload = buf.subarray(RECORD_PAYLOAD_OFFSET, crcAt);
  const bad = (what: string): RecordResult => ({ ok: false, problem: `record of kind ${kindCode}: ${what}`, offset: 0 });
  if (direction === undefined) return bad('unknown direction code');
  const from: From | undefined = direction === 'master' || direction === 'replica' ? direction : undefined;
  let fields: Record<string, unknown> = {};
  if (kindCode !== RECORD_KIND.bytes && kindCode !== RECORD_KIND.end && kindCode !== RECORD_KIND.tick) {
    try {
      fields = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    } catch {
      return bad('payload is not valid JSON');
    }
  }
  switch (kindCode) {
    case RECORD_KIND.open: {
      const record: WireEvent = { kind: 'open', link, at, replica: String(fields.replica), master: String(fields.master) };
      if (typeof fields.via === 'string') record.via = fields.via;
      if (Array.isArray(fields.listeners)) record.listeners = fields.listeners.map(String);
      if (fields.tls !== undefined) {
        if (typeof fields.tls !== 'object' || fields.tls === null) return bad('the TLS facts are not an object');
        record.tls = fields.tls as LinkTls;
      }
      if (Number.isSafeInteger(fields.streamDb)) record.streamDb = fields.streamDb as number;
      if (fields.replication === true) record.replication = true;
      return { ok: true, length, record };
    }
    case RECORD_KIND.bytes:
      if (!from) return bad('bytes without a direction');
      // A copy: the reader's buffer is reused, the event may be kept.
      return { ok: true, length, record: { kind: 'bytes', link, at, from, chunk: Buffer.from(payload) } };
    case RECORD_KIND.gap: {
      if (!from) return bad('gap without a direction');
      const reason = String(fields.reason);
      if (!isGapReason(reason)) return bad(`unknown gap reason ${JSON.stringify(reason.slice(0, 80))}`);
      const record: WireGap = { kind: 'gap', link, at, from, bytes: Number(fields.bytes), reason };
      if (typeof fields.pos === 'number') record.pos = fields.pos;
      if (typeof fields.sha256 === 'string') record.sha256 = fields.sha256;
      if (typeof fields.untilAt === 'number') record.untilAt = fields.untilAt;
      return { ok: true, length, record };
    }
    case RECORD_KIND.close:
      if (direction === 'none') return bad('close without a side');
      return { ok: true, length, record: { kind: 'close', link, at, by: direction, reason: String(fields.reason) } };
    case RECORD_KIND.fault:
      return {
        ok: true,
        length,
        record: { kind: 'fault', link, at, fault: String(fields.fault), detail: (fields.detail ?? {}) as Record<string, unknown> },
      };
    case RECORD_KIND.end:
      return { ok: true, length, record: { kind: 'end', at } };
    case RECORD_KIND.tick:
      return { ok: true, length, record: { kind: 'tick', at } };
    case RECORD_KIND['server-info']:
      return { ok: true, length, record: { kind: 'server-info', at, server: String(fields.server), text: String(fields.text) } };
    case RECORD_KIND['side-event']: {
      const type = fields.type;
      if (!SIDE_EVENT_TYPES.includes(type as SideEvent['type'])) return bad(`a side event of unknown type ${JSON.stringify(String(type).slice(0, 40))} (written by a newer repl-spy? upgrade repl-spy)`);
      if (typeof fields.at !== 'number' || typeof fields.link !== 'number') return bad('a side event without its time or link');
      return { ok: true, length, record: { kind: 'side-event', at, event: fields as unknown as SideEvent } };
    }
    default:
      return bad('unknown record kind (written by a newer repl-spy? upgrade repl-spy)');
  }
}

function directionName(code: number): Direction | undefined {
  return (Object.keys(DIRECTION) as Direction[]).find((d) => DIRECTION[d] === code);
}
