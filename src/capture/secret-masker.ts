// Rewrites what a replica (or any client of the proxy) sends so a capture keeps no secret: each secret argument, as
// the decoder's rule decides it (decode/mask-secrets.ts), becomes `$3\r\n***\r\n`, so neither the password nor
// its length is kept. The capture's own RespFramer (never the decoder's, so a decoder bug cannot corrupt a capture)
// cuts the bytes, handing each argument part by part as it arrives, so a chunk is masked as it is written. Bytes
// pass as views of the chunk; only the header of an argument whose fate is not known yet (the next argument of a
// command that can have secrets) or an inline line (judged once whole) waits for the next chunk. Once the bytes
// are not RESP they are kept as they are. Pure: chunks in, chunks out.
import { isSecretArg, mayHaveSecrets, MASK, maskSecrets } from '../decode/mask-secrets.js';
import { RespFramer, type FramingError } from '../resp/framer.js';

/** Argument text kept for the rule (command names, option keywords, config names): the masker's own copy, the
 *  framer keeps no argument body for it. */
const ARG_KEEP_BYTES = 64;
const MASKED_HEAD = Buffer.from(`$${MASK.length}\r\n${MASK}`, 'latin1');
const LF = 0x0a;
const EMPTY: Buffer = Buffer.alloc(0);

export class SecretMasker {
  private readonly framer = new RespFramer(
    'requests',
    {
      argument: (part, pos, index, argc, remaining, header) => this.onArgument(part, pos, index, argc, remaining, header),
      command: () => (this.args.length = 0),
      inline: (line, start, end) => this.onLine(line, start, end),
      keepalive: (start) => this.giveBack(start),
      error: (e) => this.onError(e),
    },
    { argumentsOnly: true },
  );
  // the command being framed: its argument count, the text of its arguments so far, the argument in progress
  private argc = 0;
  private readonly args: string[] = [];
  /** the command's name is one that can have secrets (known from its second argument on) */
  private possible = false;
  private arg = '';
  private inArg = false;
  private secret = false;
  // the chunk being masked: its stream position, what goes out for it, the index bytes pass from (-1: withheld)
  private chunk: Buffer = EMPTY;
  private base = 0;
  private out: Buffer[] = [];
  private changed = false;
  private from = 0;
  /** withheld from `heldFrom` on: to give back or mask (`keep`), or a secret (dropped); `held`: from earlier chunks */
  private heldFrom = 0;
  private keep = false;
  private held: Buffer[] = [];

  /** True once the masker stopped looking (at bytes it cannot frame: from then on they are kept as they are). */
  get done(): boolean {
    return this.framer.dead && this.from >= 0;
  }

  /** What to record for `chunk`: the chunk itself when it carries no secret, else a masked copy (possibly empty
   *  while bytes wait for the next chunk). Never modifies the chunk. */
  mask(chunk: Buffer): Buffer {
    this.chunk = chunk;
    this.out = [];
    this.changed = this.from < 0;
    if (this.from > 0) this.from = 0;
    this.framer.feed(chunk);
    this.holdOpen();
    if (this.from >= 0 && this.from < chunk.length) this.out.push(this.from === 0 ? chunk : chunk.subarray(this.from));
    else if (this.from < 0 && this.keep) this.held.push(Buffer.from(chunk.subarray(Math.max(0, this.heldFrom - this.base))));
    this.base += chunk.length;
    if (!this.changed) return chunk;
    return this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
  }

  /** The link closed: a held inline line is given back (masked by the rule); a held header, incomplete, is not. */
  end(): Buffer {
    const line = this.from < 0 && this.keep && this.framer.openLine !== null;
    this.framer.stop();
    return line ? this.maskedLine(Buffer.concat(this.held), false) : EMPTY;
  }

  /** At the end of a chunk: a line, or the header of an argument that may be secret, waits for the next one. */
  private holdOpen(): void {
    if (this.from < 0) return;
    const line = this.framer.openLine;
    if (line !== null) return this.withhold(line, true);
    const header = this.framer.openArgument;
    if (header !== null && !this.inArg && this.maybeSecret()) this.withhold(header, true);
  }

  /** Whether the next argument can be a secret, whatever its first byte (ACL rules are told by it). */
  private maybeSecret(): boolean {
    const args = this.args;
    return args.length > 0 && mayHaveSecrets(args[0]!) && (isSecretArg(args, this.argc, '>') || isSecretArg(args, this.argc, 'a'));
  }

  private onArgument(part: Buffer, pos: number, index: number, argc: number, remaining: number, header: number): void {
    if (!this.inArg) {
      this.inArg = true;
      this.argc = argc;
      const args = this.args;
      if (index <= 1) this.possible = index === 1 && mayHaveSecrets(args[0]!);
      this.secret = this.possible && isSecretArg(args, argc, part.length > 0 ? String.fromCharCode(part[0]!) : '');
      if (this.secret) {
        this.withhold(header, false);
        this.held = [];
      } else {
        this.giveBack(pos);
      }
    }
    // the rule reads the text of the arguments only of the commands that can have secrets (SET's are not made)
    const kept = index === 0 || this.possible;
    if (kept && !this.secret && this.arg.length < ARG_KEEP_BYTES) this.arg += part.toString('latin1', 0, ARG_KEEP_BYTES - this.arg.length);
    if (remaining > 0) return;
    if (kept) this.args.push(this.arg);
    this.arg = '';
    this.inArg = false;
    if (this.secret) {
      this.out.push(MASKED_HEAD);
      this.passFrom(pos + part.length); // the CRLF after the body passes
    }
  }

  /** An inline line [start, end): masked by the rule (split as the decoder splits it) when it has a secret. */
  private onLine(line: Buffer, start: number, end: number): void {
    const masked = this.maskedLine(line, true);
    if (masked === line) return this.giveBack(start);
    this.withhold(start, false);
    this.held = [];
    this.out.push(masked);
    this.passFrom(end);
  }

  /** The line itself when it has no secret, else its masked text. */
  private maskedLine(line: Buffer, whole: boolean): Buffer {
    const words = line.toString('latin1').trim().split(/\s+/);
    const masked = maskSecrets(words);
    return masked === words ? line : Buffer.from(masked.join(' ') + (whole ? '\r\n' : ''), 'latin1');
  }

  /** Not RESP: nothing more is framed. What is held goes out as it came, but a line too long for Redis (which
   *  it would refuse) is masked by the rule as far as this chunk has it. */
  private onError(e: FramingError): void {
    if (e.code !== 'RSPY_DECODE_LINE_TOO_LONG') return this.giveBack(e.pos);
    const from = Math.max(0, e.pos - this.base);
    const lf = this.chunk.indexOf(LF, from);
    const stop = lf === -1 ? this.chunk.length : lf + 1;
    this.withhold(e.pos, false);
    this.out.push(this.maskedLine(Buffer.concat([...this.held, this.chunk.subarray(from, stop)]), lf !== -1));
    this.held = [];
    this.passFrom(this.base + stop);
  }

  /** Bytes from stream position `pos` on (in this chunk, or held already) are not passed as they are. */
  private withhold(pos: number, keep: boolean): void {
    this.keep = keep;
    if (this.from < 0) return;
    const at = pos - this.base;
    if (at > this.from) this.out.push(this.chunk.subarray(this.from, at));
    this.from = -1;
    this.heldFrom = pos;
    this.changed = true;
  }

  /** What was withheld to be judged is not secret: it goes out as it came, and bytes pass again. */
  private giveBack(pos: number): void {
    if (this.from >= 0) return;
    this.out.push(...this.held);
    this.held = [];
    this.passFrom(Math.min(pos, this.heldFrom));
  }

  private passFrom(pos: number): void {
    this.from = Math.max(0, pos - this.base);
    this.changed = true;
  }
}
