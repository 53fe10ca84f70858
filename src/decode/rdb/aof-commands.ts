// Reads the command part of an append-only file (after an RDB preamble, or an incremental AOF file):
// RESP arrays of bulk strings, and `#...` annotation lines (timestamps). Fed chunk by chunk; a command
// whose bytes are incomplete is kept until they arrive (a bulk of known length is waited for whole).

export interface AofCommand {
  /** the arguments (views valid during the callback only) */
  argv: Buffer[];
  /** offset of the command in the input fed (from 0) */
  pos: number;
  bytes: number;
}

export interface AofProblem {
  pos: number;
  expected: string;
  message: string;
}

const INCOMPLETE = -1;

export class AofCommandReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** bytes the pending data must reach before a retry can succeed */
  private need = 0;
  private consumed = 0;
  problem: AofProblem | null = null;
  annotations = 0;

  feed(chunk: Buffer, onCommand: (c: AofCommand) => void): void {
    if (this.problem) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.need) return;
    const buf = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    let p = 0;
    for (;;) {
      const end = this.parseOne(buf, p, onCommand);
      if (end === INCOMPLETE || this.problem) break;
      p = end;
    }
    const rest = this.problem ? Buffer.alloc(0) : Buffer.from(buf.subarray(p));
    this.consumed += p;
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
  }

  /** The input is over: an incomplete last command is a problem (a truncated AOF). */
  end(): void {
    if (!this.problem && this.pendingBytes > 0) {
      this.problem = { pos: this.consumed, expected: 'a complete command', message: `the file ends inside a command (${this.pendingBytes} bytes left over)` };
    }
  }

  private fail(pos: number, expected: string, message: string): number {
    this.problem = { pos: this.consumed + pos, expected, message };
    return INCOMPLETE;
  }

  /** Parses one command or annotation at p; returns where it ends, or INCOMPLETE (setting `need`). */
  private parseOne(buf: Buffer, p: number, onCommand: (c: AofCommand) => void): number {
    if (p >= buf.length) {
      this.need = 0;
      return INCOMPLETE;
    }
    const first = buf[p];
    if (first === 0x23 /* # */) {
      const eol = buf.indexOf(0x0a, p);
      if (eol < 0) return this.incomplete(buf, p, 1);
      this.annotations++;
      return eol + 1;
    }
    if (first !== 0x2a /* * */) return this.fail(p, '"*" (a command) or "#" (an annotation)', `unexpected byte 0x${first.toString(16)}`);
    const head = this.line(buf, p + 1);
    if (head === null) return this.incomplete(buf, p, 1);
    const n = head.value;
    if (!(n >= 0)) return this.fail(p, 'an argument count', 'bad array header');
    let q = head.end;
    const argv: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      if (q >= buf.length) return this.incomplete(buf, p, 1);
      if (buf[q] !== 0x24 /* $ */) return this.fail(q, '"$" (a bulk string)', `unexpected byte 0x${buf[q].toString(16)}`);
      const len = this.line(buf, q + 1);
      if (len === null) return this.incomplete(buf, p, q - p + 1);
      if (!(len.value >= 0)) return this.fail(q, 'a bulk length', 'bad bulk length');
      const dataEnd = len.end + len.value;
      if (dataEnd + 2 > buf.length) return this.incomplete(buf, p, dataEnd + 2 - p);
      if (buf[dataEnd] !== 0x0d || buf[dataEnd + 1] !== 0x0a) return this.fail(dataEnd, 'CRLF after the bulk', 'missing CRLF');
      argv.push(buf.subarray(len.end, dataEnd));
      q = dataEnd + 2;
    }
    onCommand({ argv, pos: this.consumed + p, bytes: q - p });
    return q;
  }

  private incomplete(buf: Buffer, p: number, atLeast: number): number {
    this.need = Math.max(buf.length - p + 1, atLeast);
    return INCOMPLETE;
  }

  /** A decimal number ending in CRLF at p: its value and the offset after the CRLF, or null if incomplete. */
  private line(buf: Buffer, p: number): { value: number; end: number } | null {
    const eol = buf.indexOf(0x0a, p);
    if (eol < 0) return null;
    const text = buf.toString('latin1', p, eol);
    const value = /^-?\d+\r$/.test(text) ? parseInt(text, 10) : NaN;
    return { value, end: eol + 1 };
  }
}
