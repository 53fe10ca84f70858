// Readers of a newer format read every older one. Each format version that was ever written maps to the
// record decoder that reads it; when FORMAT_VERSION is bumped, the previous decoder moves here unchanged
// (or becomes a migration to the current record shape) and the header check in format.ts stays as is.
import { decodeRecord, type RecordResult } from './format.js';

const recordDecoders: Record<number, (buf: Buffer) => RecordResult> = {
  1: decodeRecord,
};

export function recordDecoderFor(version: number): ((buf: Buffer) => RecordResult) | undefined {
  return recordDecoders[version];
}
