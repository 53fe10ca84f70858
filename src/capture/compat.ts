// Readers of a newer format read every older one. Each format version that was ever written maps to the
// record decoder that reads it; when FORMAT_VERSION is bumped, the previous decoder moves here unchanged
// (or becomes a migration to the current record shape) and the header check in format.ts stays as is.
import { decodeRecord, type RecordResult } from './format.js';

const recordDecoders: Record<number, (buf: Buffer) => RecordResult> = {
  // Version 2 only added the optional TLS facts of an open record: a version 1 record reads as it is, and its
  // open records (without them) are plaintext links, which is what version 1 recorded.
  1: decodeRecord,
  2: decodeRecord,
};

export function recordDecoderFor(version: number): ((buf: Buffer) => RecordResult) | undefined {
  return recordDecoders[version];
}
