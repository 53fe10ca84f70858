// Rewrites what a replica (or any client of the proxy) sends so a capture keeps no secret: each secret argument, as
// the decoder's rule decides it (decode/mask-secrets.ts), becomes `$3\r\n***\r\n`, so neither the password nor
// its length is kept. A small streaming framer, not the decoder: it follows the RESP arrays (and inline lines) of
// the whole direction (after PSYNC a replica only sends REPLCONF ACK and newlines: little to frame). Bytes pass as
// views of the chunk; only the header of an argument whose fate is not known yet (an `ACL SETUSER` rule, judged by
// its first byte) or an inline line (judged once whole) waits for the next chunk. Pure: chunks in, chunks out.
import { isSecretArg, mayHaveSecrets, MASK, maskSecrets } from '../decode/mask-secrets.js';

/** Header lines longer than this are not RESP: the masker stops. */
const MAX_LINE_BYTES = 64;
/** Redis refuses longer inline lines (PROTO_INLINE_MAX_SIZE): past it the line is passed on and the masker stops. */
const MAX_INLINE_BYTES = 64 * 1024;
/** Argument text kept for the rule (command names, option keywords, config names). */
const ARG_KEEP_BYTES = 64;
const MASKED_HEAD = Buffer.from(`$${MASK.length}\r\n${MASK}`, 'latin1');
const CR = 0x0d;
const LF = 0x0a;

type State = 'start' | 'array-line' | 'bulk-line' | 'bulk' | 'bulk-crlf' | 'inline' | 'off';

export class SecretMasker {
  private state: State = 'start';
  private line = '';
  private argc = 0;
  private args: string[] = [];
  private arg = '';
  private remaining = 0;
  private bodyLen = 0;
  /** the current argument: a secret, not one, or known at its first byte */
  private secret: boolean | 'at-first-byte' = false;
  /** raw bytes of a bulk header not passed on yet (a secret's, or one still undecided) */
  private header: number[] = [];
  /** an inline line, held until it is whole */
  private inline: Buffer[] = [];
  private inlineBytes = 0;
  // output of the chunk being masked
  private out: Buffer[] = [];
  private changed = false;
  private from = 0;
  private passing = true;

  /** True once the masker stopped looking (at bytes it cannot frame: from then on they are kept as they are). */
  get done(): boolean {
    return this.state === 'off';
  }

  /** What to record for `chunk`: the chunk itself when it carries no secret, else a masked copy (possibly empty
   *  while bytes wait for the next chunk). Never modifies the chunk. */
  mask(chunk: Buffer): Buffer {
    this.out = [];
    this.from = 0;
    this.changed = !this.passing;
    let i = 0;
    while (i < chunk.length && this.state !== 'off') {
      const byte = chunk[i]!;
      switch (this.state) {
        case 'start':
          if (byte === 0x2a /* '*' */) {
            this.state = 'array-line';
            this.line = '';
          } else if (byte !== CR && byte !== LF) {
            this.swallowFrom(chunk, i);
            this.state = 'inline';
            continue;
          }
          i++;
          break;
        case 'array-line':
          i++;
          if (byte === LF) this.arrayLineDone();
          else if (byte !== CR) this.lineByte(byte, i);
          break;
        case 'bulk-line':
          if (this.line === '' && this.header.length === 0) {
            this.secret = this.judge();
            if (this.secret !== false) this.swallowFrom(chunk, i);
          }
          if (!this.passing) this.header.push(byte);
          i++;
          if (byte === LF) this.bulkLineDone(i);
          else if (byte !== CR) this.lineByte(byte, i);
          break;
        case 'bulk': {
          if (this.secret === 'at-first-byte') this.decide(i, String.fromCharCode(byte));
          const n = Math.min(this.remaining, chunk.length - i);
          if (this.secret === false && this.arg.length < ARG_KEEP_BYTES) this.arg += chunk.toString('latin1', i, i + Math.min(n, ARG_KEEP_BYTES - this.arg.length));
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) {
            if (this.secret === true) this.passFrom(i); // the CRLF after the body passes
            this.state = 'bulk-crlf';
            this.remaining = 2;
          }
          break;
        }
        case 'bulk-crlf':
          i++;
          if (--this.remaining === 0) this.argDone();
          break;
        case 'inline': {
          const nl = chunk.indexOf(LF, i);
          const stop = nl === -1 ? chunk.length : nl + 1;
          this.inline.push(chunk.subarray(i, stop));
          this.inlineBytes += stop - i;
          i = stop;
          if (nl !== -1) this.inlineDone(i, true);
          else if (this.inlineBytes > MAX_INLINE_BYTES) this.inlineDone(i, false);
          break;
        }
      }
    }
    if (this.passing && this.from < chunk.length) this.out.push(chunk.subarray(this.from));
    if (!this.changed) return chunk;
    return this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
  }

  /** The link closed: a held inline line is given back (masked by the rule); a held header, incomplete, is not. */
  end(): Buffer {
    if (this.state !== 'inline') return Buffer.alloc(0);
    this.out = [];
    this.emitInline(false);
    this.state = 'off';
    return Buffer.concat(this.out);
  }

  /** Secret, not, or decided by its first byte: the rule asked with both kinds of first byte. */
  private judge(): boolean | 'at-first-byte' {
    if (this.args.length === 0 || !mayHaveSecrets(this.args[0]!)) return false;
    const asRule = isSecretArg(this.args, this.argc, '>');
    const asWord = isSecretArg(this.args, this.argc, 'a');
    return asRule === asWord ? asRule : 'at-first-byte';
  }

  private decide(i: number, first: string): void {
    this.secret = isSecretArg(this.args, this.argc, first);
    if (this.secret) this.insert(MASKED_HEAD);
    else {
      this.insert(Buffer.from(this.header));
      this.passFrom(i);
    }
    this.header = [];
  }

  /** Bytes from `i` on are not passed as they are. */
  private swallowFrom(chunk: Buffer, i: number): void {
    if (this.passing && i > this.from) this.out.push(chunk.subarray(this.from, i));
    this.passing = false;
    this.changed = true;
  }

  private insert(bytes: Buffer): void {
    this.out.push(bytes);
    this.changed = true;
  }

  private passFrom(i: number): void {
    this.passing = true;
    this.from = i;
  }

  /** `next`: the index after the byte (where passing goes on if the line turns out not to be RESP). */
  private lineByte(byte: number, next: number): void {
    if (this.line.length >= MAX_LINE_BYTES) this.stop(next);
    else this.line += String.fromCharCode(byte);
  }

  private arrayLineDone(): void {
    this.argc = Number(this.line);
    this.args = [];
    if (!Number.isInteger(this.argc)) this.state = 'off';
    else if (this.argc <= 0) this.state = 'start';
    else this.beginBulkLine();
  }

  private beginBulkLine(): void {
    this.state = 'bulk-line';
    this.line = '';
    this.arg = '';
    this.secret = false;
  }

  private bulkLineDone(i: number): void {
    const length = this.line.startsWith('$') ? Number(this.line.slice(1)) : NaN;
    if (!Number.isInteger(length) || length < 0) return this.stop(i);
    this.bodyLen = length;
    this.remaining = length;
    this.state = length === 0 ? 'bulk-crlf' : 'bulk';
    if (length === 0) this.remaining = 2;
    if (this.secret === 'at-first-byte' && length === 0) this.decide(i, '');
    else if (this.secret === true) {
      this.insert(MASKED_HEAD);
      this.header = [];
      if (length === 0) this.passFrom(i);
    }
  }

  private argDone(): void {
    this.args.push(this.arg);
    if (this.args.length < this.argc) this.beginBulkLine();
    else this.state = 'start';
  }

  private inlineDone(i: number, whole: boolean): void {
    this.state = whole ? 'start' : 'off';
    this.emitInline(whole);
    this.passFrom(i);
  }

  /** The held inline line, masked by the rule when it has a secret (split as the decoder splits it). */
  private emitInline(whole: boolean): void {
    const raw = this.inline.length === 1 ? this.inline[0]! : Buffer.concat(this.inline);
    this.inline = [];
    this.inlineBytes = 0;
    const words = raw.toString('latin1').trim().split(/\s+/);
    const masked = maskSecrets(words);
    const secret = masked.some((w, k) => w !== words[k]);
    this.insert(secret ? Buffer.from(masked.join(' ') + (whole ? '\r\n' : ''), 'latin1') : raw);
  }

  /** A bulk header that is not RESP: what is held goes out as it came, the rest passes from `next`, and nothing
   *  more is looked at. */
  private stop(next: number): void {
    if (!this.passing) {
      this.insert(Buffer.from(this.header));
      this.header = [];
      this.passFrom(next);
    }
    this.state = 'off';
  }
}
