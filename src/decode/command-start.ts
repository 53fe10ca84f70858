// Finding where a RESP command starts in bytes whose framing was lost (after a gap, or in a connection joined
// mid-stream): the header `*<argc>\r\n$<len>\r\n<name>\r\n` with a plausible argc and a command-like name.
// Inside a value these bytes are rare; the framer checks the rest of the command as usual. Pure.

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

/** Scans a stream, chunk by chunk, for the next command header. Bytes of a header that a chunk ends inside
 *  are held (at most MAX_COMMAND_START_BYTES), so the result never depends on where chunks end. */
export class CommandStartFinder {
  private held: Buffer = Buffer.alloc(0);
  /** bytes passed over (not part of the header found) */
  skipped = 0;

  /** Looks in chunk[i, end). Found: the header's first bytes held from earlier chunks (`prefix`, possibly empty)
   *  and the index in chunk where the rest of it starts. Not found: every byte was taken (held or skipped). */
  find(chunk: Buffer, i: number, end: number): { prefix: Buffer; next: number } | null {
    if (this.held.length > 0) {
      // candidates that start in the held bytes: they need at most MAX_COMMAND_START_BYTES more
      const take = Math.min(end - i, MAX_COMMAND_START_BYTES);
      const buf = Buffer.concat([this.held, chunk.subarray(i, i + take)]);
      const heldLength = this.held.length;
      this.held = Buffer.alloc(0);
      for (let k = 0; k < heldLength; k++) {
        if (buf[k] !== RESP_ARRAY) continue;
        const m = matchCommandStart(buf, k);
        if (m === 'no') continue;
        this.skipped += k;
        if (m === 'more') {
          // still undecided: the whole chunk part is held too (it is shorter than a header)
          this.held = buf.subarray(k);
          return null;
        }
        return { prefix: buf.subarray(k, heldLength), next: i };
      }
      this.skipped += heldLength;
    }
    let from = i;
    for (;;) {
      const star = chunk.indexOf(RESP_ARRAY, from);
      if (star === -1 || star >= end) {
        this.skipped += end - from;
        return null;
      }
      const m = matchCommandStart(chunk, star, end);
      if (m === 'no') {
        this.skipped += star + 1 - from;
        from = star + 1;
        continue;
      }
      this.skipped += star - from;
      if (m === 'more') {
        this.held = Buffer.from(chunk.subarray(star, end));
        return null;
      }
      return { prefix: Buffer.alloc(0), next: star };
    }
  }

  /** Bytes missing from the stream: a header cannot straddle them. */
  reset(): void {
    this.skipped += this.held.length;
    this.held = Buffer.alloc(0);
  }
}
