// Readers of a newer format read every older one. Each format version that was ever written maps to how it is
// read; when FORMAT_VERSION is bumped, the previous decoder moves here unchanged (or becomes a migration to the
// current record shape) and the header check in format.ts stays as is.
// Version 2 only added the optional TLS facts of an open record: a version 1 record reads as it is, and its open
// records (without them) are plaintext links, which is what version 1 recorded. Version 3 only added record kinds
// (tick, server-info), so one decoder reads all three; version 4 only added the side-event kind, likewise (a
// version 3 reader meets version 4 at the header: "newer than this repl-spy reads; upgrade repl-spy"). Versions 1 and 2 have no tick records: their replay gets
// the ticks the live command would have recorded (every TICK_MS of recorded time), so a replica's lag between its
// ACKs grows in replay as well.
import { TICK_MS, type WireTick } from '../core/events.js';
import { decodeRecord, type RecordResult } from './format.js';

export interface FormatReader {
  decode: (buf: Buffer) => RecordResult;
  /** the live ticks are records of the file (else they are made up from the recorded times) */
  ticksRecorded: boolean;
}

const readers: Record<number, FormatReader> = {
  1: { decode: decodeRecord, ticksRecorded: false },
  2: { decode: decodeRecord, ticksRecorded: false },
  3: { decode: decodeRecord, ticksRecorded: true },
  4: { decode: decodeRecord, ticksRecorded: true },
};

export function readerFor(version: number): FormatReader | undefined {
  return readers[version];
}

/** The ticks a live run would have recorded before an event at `at`; `clock.next` carries the next one's time. */
export function* ticksUpTo(clock: { next: number | null }, at: number): Generator<WireTick> {
  clock.next ??= at + TICK_MS;
  for (; clock.next <= at; clock.next += TICK_MS) yield { kind: 'tick', at: clock.next };
}
