// Finds the bytes of AUTH passwords (the last argument: `AUTH <password>`, `AUTH <user> <password>`) in what a replica sends to its master, so a capture can replace them
// with '*' of the same length (byte positions stay exact). A deliberately small scanner, not the decoder:
// it follows the RESP framing of the handshake (and inline commands) and stops at PSYNC/SYNC, after which a
// replica only sends REPLCONF ACK and newlines. Pure: chunks in, ranges out.

const MAX_LINE_BYTES = 64;
const NAME_KEEP_BYTES = 8;

type State = 'start' | 'array-line' | 'bulk-line' | 'bulk' | 'bulk-crlf' | 'inline-name' | 'inline-args' | 'off';

/** [start, end) byte ranges within one chunk */
export type Range = [number, number];

export class AuthSecretScanner {
  private state: State = 'start';
  private line = '';
  private argc = 0;
  private argIndex = 0;
  private remaining = 0;
  private name = '';
  private auth = false;
  private secret = false;

  /** True once the scanner stopped looking (after PSYNC/SYNC, or on bytes it cannot frame). */
  get done(): boolean {
    return this.state === 'off';
  }

  /** The ranges of `chunk` that are AUTH secrets. Never modifies the chunk. */
  secretRanges(chunk: Buffer): Range[] {
    const ranges: Range[] = [];
    let i = 0;
    while (i < chunk.length && this.state !== 'off') {
      const byte = chunk[i]!;
      switch (this.state) {
        case 'start':
          if (byte === 0x2a /* '*' */) this.beginLine('array-line');
          else if (byte !== 0x0d && byte !== 0x0a) {
            this.name = String.fromCharCode(byte);
            this.state = 'inline-name';
          }
          i++;
          break;
        case 'array-line':
        case 'bulk-line':
          i++;
          if (byte === 0x0a) this.lineDone();
          else if (byte !== 0x0d) this.lineByte(byte);
          break;
        case 'bulk': {
          const n = Math.min(this.remaining, chunk.length - i);
          if (this.secret) ranges.push([i, i + n]);
          if (this.argIndex === 0 && this.name.length < NAME_KEEP_BYTES) {
            this.name += chunk.toString('latin1', i, i + Math.min(n, NAME_KEEP_BYTES - this.name.length));
          }
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) {
            this.state = 'bulk-crlf';
            this.remaining = 2;
          }
          break;
        }
        case 'bulk-crlf':
          i++;
          if (--this.remaining === 0) this.argDone();
          break;
        case 'inline-name':
          i++;
          if (byte === 0x20) {
            // inline AUTH (never sent by a replica): every argument is masked, the last one is not known yet
            this.secret = isAuth(this.name);
            this.state = 'inline-args';
          } else if (byte === 0x0a) this.commandDone();
          else if (byte !== 0x0d && this.name.length < NAME_KEEP_BYTES) this.name += String.fromCharCode(byte);
          break;
        case 'inline-args':
          if (byte === 0x0a) this.commandDone();
          else if (this.secret && byte !== 0x20 && byte !== 0x0d) pushByte(ranges, i);
          i++;
          break;
      }
    }
    return ranges;
  }

  private beginLine(state: 'array-line' | 'bulk-line'): void {
    this.state = state;
    this.line = '';
  }

  private lineByte(byte: number): void {
    if (this.line.length >= MAX_LINE_BYTES) this.state = 'off';
    else this.line += String.fromCharCode(byte);
  }

  private lineDone(): void {
    if (this.state === 'array-line') {
      this.argc = Number(this.line);
      this.argIndex = 0;
      this.name = '';
      this.auth = false;
      this.secret = false;
      if (!Number.isInteger(this.argc)) this.state = 'off';
      else if (this.argc <= 0) this.state = 'start';
      else this.beginLine('bulk-line');
      return;
    }
    const length = this.line.startsWith('$') ? Number(this.line.slice(1)) : NaN;
    if (!Number.isInteger(length) || length < 0) {
      this.state = 'off';
      return;
    }
    this.remaining = length;
    this.state = length === 0 ? 'bulk-crlf' : 'bulk';
    if (length === 0) this.remaining = 2;
  }

  private argDone(): void {
    this.argIndex++;
    if (this.argIndex === 1) this.auth = isAuth(this.name);
    this.secret = this.auth && this.argIndex === this.argc - 1;
    if (this.argIndex === this.argc) this.commandDone();
    else this.beginLine('bulk-line');
  }

  private commandDone(): void {
    const name = this.name.toUpperCase();
    this.state = name === 'PSYNC' || name === 'SYNC' ? 'off' : 'start';
    this.auth = false;
    this.secret = false;
    this.name = '';
  }
}

function isAuth(name: string): boolean {
  return name.toUpperCase() === 'AUTH';
}

function pushByte(ranges: Range[], i: number): void {
  const last = ranges[ranges.length - 1];
  if (last && last[1] === i) last[1] = i + 1;
  else ranges.push([i, i + 1]);
}
