// Finding where a RESP command starts in bytes whose framing was lost (after a gap, or in a connection joined
// mid-stream): the header `*<argc>\r\n$<len>\r\n<name>\r\n` with a plausible argc and a command-like name.
// Inside a value these bytes are rare; the framer checks the rest of the command as usual.
import type { Buffer } from 'node:buffer';

const RESP_ARRAY = 0x2a; // '*'
const RESP_BULK = 0x24; // '$'
const CR = 0x0d;
const LF = 0x0a;
const MAX_ARGC_DIGITS = 7;
const MAX_NAME_BYTES = 32;
/** The longest header matchCommandStart looks at: `*` 7 digits CRLF `$` 2 digits CRLF 32-byte name CRLF. */
export const MAX_COMMAND_START_BYTES = 1 + MAX_ARGC_DIGITS + 2 + 1 + 2 + 2 + MAX_NAME_BYTES + 2;

export type CommandStart =
  /** a command header: its name (as sent) and where the bytes after the name's CRLF start */
  | { name: string; argc: number; next: number }
  | 'no'
  /** b ends before it can be told */
  | 'more';

/** Is b[i] the `*` of a command header? */
export function matchCommandStart(b: Buffer, i: number, end = b.length): CommandStart {
  if (i >= end) return 'more';
  if (b[i] !== RESP_ARRAY) return 'no';
  let p = i + 1;
  const argc = digits(b, p, end, MAX_ARGC_DIGITS);
  if (argc === 'more' || argc === 'no') return argc;
  p = argc.next;
  if (argc.value === 0) return 'no';
  if (p >= end) return 'more';
  if (b[p] !== RESP_BULK) return 'no';
  const len = digits(b, p + 1, end, 2);
  if (len === 'more' || len === 'no') return len;
  if (len.value === 0 || len.value > MAX_NAME_BYTES) return 'no';
  p = len.next;
  for (let k = 0; k < len.value; k++, p++) {
    if (p >= end) return 'more';
    if (!isNameByte(b[p]!, k === 0)) return 'no';
  }
  if (p >= end) return 'more';
  if (b[p] !== CR) return 'no';
  if (p + 1 >= end) return 'more';
  if (b[p + 1] !== LF) return 'no';
  return { name: b.toString('latin1', len.next, len.next + len.value), argc: argc.value, next: p + 2 };
}

/** Decimal digits then CRLF, no leading zero. */
function digits(b: Buffer, from: number, end: number, max: number): { value: number; next: number } | 'no' | 'more' {
  let p = from;
  let value = 0;
  for (;;) {
    if (p >= end) return 'more';
    const c = b[p]!;
    if (c >= 0x30 && c <= 0x39) {
      if (p - from >= max || (p > from && value === 0)) return 'no';
      value = value * 10 + (c - 0x30);
      p++;
      continue;
    }
    if (c !== CR || p === from) return 'no';
    if (p + 1 >= end) return 'more';
    return b[p + 1] === LF ? { value, next: p + 2 } : 'no';
  }
}

/** Letters first; then letters, digits and the `.` `_` `-` `|` of module and container commands. */
function isNameByte(c: number, first: boolean): boolean {
  const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
  if (first) return letter;
  return letter || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d || c === 0x7c;
}
