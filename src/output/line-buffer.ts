// Output lines built as bytes. At the master's max write rate the outputs write hundreds of thousands of command
// lines a second: a plain ASCII argument is copied from the wire buffer as it is, with no string made for it, and
// the lines of a turn leave as a few buffers instead of one joined string that is then encoded again.

const BLOCK_BYTES = 64 * 1024;

export class LineBuffer {
  private block = Buffer.allocUnsafe(BLOCK_BYTES);
  /** Where the bytes not yet taken start in `block`, and where they end. */
  private start = 0;
  private used = 0;
  private lineStart = 0;
  private full: Buffer[] = [];
  private fullBytes = 0;

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.fullBytes + this.used - this.start;
  }

  /** Text known to be ASCII: field names, numbers, the clock. */
  ascii(s: string): void {
    this.room(s.length);
    // a loop beats Buffer#write's native call for the short texts of a line
    const block = this.block;
    let at = this.used;
    for (let i = 0; i < s.length; i++) block[at++] = s.charCodeAt(i);
    this.used = at;
  }

  /** A number as JSON and String() write it; the digits of a whole number go in without a string. */
  num(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) return this.ascii(Number.isFinite(n) ? String(n) : 'null');
    this.room(16);
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    const block = this.block;
    let at = this.used + digits;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      block[--at] = 0x30 + (n - q * 10);
      n = q;
    }
    block[--at] = 0x30 + n;
    this.used += digits;
  }

  /** One ASCII character, by its code. */
  byte(c: number): void {
    this.room(1);
    this.block[this.used++] = c;
  }

  text(s: string): void {
    this.room(s.length * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
    this.used += this.block.write(s, this.used, 'utf8');
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    if (b.length > 64) this.block.set(b, this.used);
    else for (let i = 0, block = this.block, at = this.used; i < b.length; i++) block[at + i] = b[i]!;
    this.used += b.length;
  }

  /** A plain ASCII argument as a JSON string, escaped as JSON.stringify escapes it, with no string made for it
   *  (values often hold a `\` or a `"`). False, with nothing written, at the first byte that is not ASCII: its
   *  text depends on UTF-8 decoding, which is the caller's. */
  jsonAscii(arg: Uint8Array): boolean {
    this.room(arg.length * 6 + 2);
    const block = this.block;
    let at = this.used;
    block[at++] = 0x22;
    for (let i = 0; i < arg.length; i++) {
      const c = arg[i]!;
      if (c >= 0x80) return false;
      const escape = JSON_ESCAPE[c]!;
      if (escape === 0) block[at++] = c;
      else {
        block[at++] = 0x5c;
        if (escape !== 0x75) block[at++] = escape;
        else {
          block[at++] = 0x75; // \u00XX, lowercase hex, as JSON.stringify writes the other control characters
          block[at++] = 0x30;
          block[at++] = 0x30;
          block[at++] = HEX[c >> 4]!;
          block[at++] = HEX[c & 15]!;
        }
      }
    }
    block[at++] = 0x22;
    this.used = at;
    return true;
  }

  /** Starts a line; `rewindLine` goes back here. A line is kept whole in one block. */
  newLine(): void {
    this.lineStart = this.used;
  }

  /** Forgets the line being written (to write it another way). */
  rewindLine(): void {
    this.used = this.lineStart;
  }

  /** Forgets the last `n` bytes of the line being written. */
  dropLast(n: number): void {
    this.used = Math.max(this.lineStart, this.used - n);
  }

  /** The last byte of the line being written, or -1. */
  lastByte(): number {
    return this.used > this.lineStart ? this.block[this.used - 1]! : -1;
  }

  /** Everything written so far, as buffers that are the caller's to keep. */
  take(): Buffer[] {
    if (this.used > this.start) this.full.push(this.block.subarray(this.start, this.used));
    this.start = this.used;
    this.lineStart = this.used;
    const taken = this.full;
    this.full = [];
    this.fullBytes = 0;
    return taken;
  }

  /** What was written since the last take, as text. */
  toString(): string {
    const taken = this.take();
    return taken.length === 1 ? taken[0]!.toString('utf8') : Buffer.concat(taken).toString('utf8');
  }

  /** Makes room for `n` more bytes; the line being written moves whole to a new block. */
  private room(n: number): void {
    if (this.used + n <= this.block.length) return;
    if (this.lineStart > this.start) {
      this.full.push(this.block.subarray(this.start, this.lineStart));
      this.fullBytes += this.lineStart - this.start;
    }
    const line = this.block.subarray(this.lineStart, this.used);
    this.block = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, line.length + n));
    this.block.set(line, 0);
    this.start = 0;
    this.lineStart = 0;
    this.used = line.length;
  }
}

/** For each ASCII byte: 0 when JSON writes it as is, else the character after the backslash (`u`: \u00XX). */
const JSON_ESCAPE = new Uint8Array(128);
for (let c = 0; c < 0x20; c++) JSON_ESCAPE[c] = 0x75;
for (const [c, e] of [[0x08, 'b'], [0x09, 't'], [0x0a, 'n'], [0x0c, 'f'], [0x0d, 'r'], [0x22, '"'], [0x5c, '\\']] as const) JSON_ESCAPE[c] = e.charCodeAt(0);
const HEX = Buffer.from('0123456789abcdef');

const scratch = new LineBuffer();

/** One line as a string, written by `write` (for the callers that want text, not bytes). */
export function lineText(write: (b: LineBuffer) => void): string {
  scratch.newLine();
  write(scratch);
  return scratch.toString();
}
