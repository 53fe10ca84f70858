// Incremental RESP2 command framer for one direction of a replication link.
// It is resumable at every byte: header lines (`*3`, `$5`) are parsed digit by digit, argument bodies are taken
// as views of the chunk they arrive in (no copy), and only an argument split across chunks is joined (into a
// scratch buffer reused from one command to the next: argv is only valid during the sink call). An argument
// larger than `keepBytes` is not buffered: its first bytes are kept and the rest only counted, so a 500 MB SET
// costs no memory. Inline lines (`\n` keepalives, `SYNC\r\n`) are reported separately.

const RESP_ARRAY = 0x2a; // '*'
const RESP_BULK = 0x24; // '$'
const CR = 0x0d;
const LF = 0x0a;

/** Longest header or inline line we accept before declaring the input garbage. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Largest argc we accept (Redis itself limits a multibulk to 1024*1024*1024 items; 1M is plenty for replication). */
const MAX_ARGC = 1024 * 1024;
/** Bytes shown before and at the offending byte of a violation. */
const EXCERPT_BYTES = 16;
/** Split arguments of one command are joined into a reused scratch buffer up to this many bytes in all (a fresh
 *  allocation per join cost more than the copy itself); beyond it each gets its own Buffer. */
const SCRATCH_BYTES = 64 * 1024;
/** Argument prefix kept when an argument is larger than keepBytes. */
export const CUT_ARG_PREFIX_BYTES = 256;

export interface FramerSink {
  /** A complete command. `argv` holds views valid during the call; `argBytes` only when an argument was cut. */
  command(argv: Buffer[], bytes: number, argBytes: number[] | undefined): void;
  /** A complete inline line without its line ending (empty for a bare `\n`). */
  inline(line: Buffer, bytes: number): void;
  /** The input is not RESP: decoding of this direction should stop. `excerpt`: the bytes up to the bad one. */
  violation(code: string, pos: number, message: string, excerpt: Buffer): void;
}

const enum S {
  Start, // expecting '*' or an inline line
  ArgcDigits,
  ArgcLf,
  BulkDollar,
  BulkDigits,
  BulkLf,
  Body,
  BodyCr,
  BodyLf,
  Inline,
  Dead,
}

export class RespFramer {
  private s = S.Start;
  private num = 0;
  private numDigits = 0;
  private negative = false;
  private argc = 0;
  private argv: Buffer[] = [];
  private argBytes: number[] | undefined;
  private remaining = 0; // body bytes still expected for the current argument
  private bodyLen = 0;
  // Set only while in Body, and cleared when the argument is complete (the only way out of Body but a violation):
  private joined: Buffer | undefined; // the argument being joined from parts in several chunks (kept whole)
  private prefix: Buffer | undefined; // kept head of a cut argument
  private scratch: Buffer | undefined; // joined split arguments of the current command (allocated on first use)
  private scratchUsed = 0;
  private cmdBytes = 0; // bytes of the current command seen so far
  private lineParts: Buffer[] = [];
  private lineLen = 0;
  // Last bytes of earlier chunks, for violation excerpts: right-aligned in a fixed buffer (no allocation per chunk).
  private readonly recentBuf = Buffer.alloc(EXCERPT_BYTES);
  private recentLen = 0;
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  private chunkBase = 0; // stream position of chunk[0]
  /** Byte position (in this direction) of the next byte to be fed; during a sink call, just after that command. */
  pos = 0;

  constructor(
    private readonly sink: FramerSink,
    private readonly keepBytes = 1024 * 1024,
  ) {}

  get dead(): boolean {
    return this.s === S.Dead;
  }

  /** Stops framing (the sink found the input bad): from here on, even within the chunk being fed, bytes are
   *  only counted. */
  stop(): void {
    this.s = S.Dead;
  }

  /** True between commands (no command or inline line begun). */
  get atCommandStart(): boolean {
    return this.s === S.Start;
  }

  /** Feed chunk[start, end). After a violation the framer only counts bytes. */
  feed(chunk: Buffer, start = 0, end = chunk.length): void {
    let i = start;
    const base = this.pos - start;
    this.chunk = chunk;
    this.chunkStart = start;
    this.chunkBase = base;
    while (i < end) {
      switch (this.s) {
        case S.Start: {
          const b = chunk[i];
          if (b === RESP_ARRAY) {
            const next = this.wholeCommand(chunk, i, end, base);
            if (next >= 0) {
              i = next;
              break;
            }
            this.s = S.ArgcDigits;
            this.num = 0;
            this.numDigits = 0;
            this.negative = false;
            this.cmdBytes = 1;
            i++;
          } else {
            this.s = S.Inline;
            this.lineParts.length = 0;
            this.lineLen = 0;
            this.cmdBytes = 0;
          }
          break;
        }
        case S.ArgcDigits:
        case S.BulkDigits: {
          const b = chunk[i];
          if (b >= 0x30 && b <= 0x39) {
            this.num = this.num * 10 + (b - 0x30);
            if (++this.numDigits > 15) return this.fail('RSPY_DECODE_BAD_LENGTH', base + i, 'length too large');
          } else if (b === 0x2d && this.numDigits === 0 && !this.negative) {
            this.negative = true;
          } else if (b === CR && this.numDigits > 0) {
            this.s = this.s === S.ArgcDigits ? S.ArgcLf : S.BulkLf;
          } else {
            return this.fail('RSPY_DECODE_BAD_LENGTH', base + i, `expected a digit or CR, got 0x${hex(b)}`);
          }
          this.cmdBytes++;
          i++;
          break;
        }
        case S.ArgcLf: {
          if (chunk[i] !== LF) return this.fail('RSPY_DECODE_BAD_LINE_END', base + i, 'expected LF after CR');
          this.cmdBytes++;
          i++;
          if (this.negative || this.num > MAX_ARGC) {
            return this.fail('RSPY_DECODE_BAD_LENGTH', base + i - 1, `bad array length ${this.negative ? '-' : ''}${this.num}`);
          }
          this.argc = this.num;
          this.argv = [];
          this.argBytes = undefined;
          this.pos = base + i;
          if (this.argc === 0) this.finishCommand();
          else this.s = S.BulkDollar;
          break;
        }
        case S.BulkDollar: {
          if (chunk[i] !== RESP_BULK) {
            return this.fail('RSPY_DECODE_BAD_TYPE_BYTE', base + i, `expected '$' for argument ${this.argv.length + 1}, got 0x${hex(chunk[i])}`);
          }
          this.s = S.BulkDigits;
          this.num = 0;
          this.numDigits = 0;
          this.negative = false;
          this.cmdBytes++;
          i++;
          break;
        }
        case S.BulkLf: {
          if (chunk[i] !== LF) return this.fail('RSPY_DECODE_BAD_LINE_END', base + i, 'expected LF after CR');
          this.cmdBytes++;
          i++;
          if (this.negative) return this.fail('RSPY_DECODE_BAD_LENGTH', base + i - 1, 'negative bulk length in a command');
          this.bodyLen = this.num;
          this.remaining = this.num;
          this.s = S.Body;
          break;
        }
        case S.Body: {
          const take = Math.min(end - i, this.remaining);
          if (this.bodyLen > this.keepBytes) {
            this.takeCutPart(chunk.subarray(i, i + take));
          } else if (take === this.bodyLen) {
            // Common case: the whole argument is in this chunk: a view, no copy.
            this.argv.push(chunk.subarray(i, i + take));
          } else {
            // Split across chunks: copy each part to its place in the joined argument.
            this.joined ??= this.joinTarget(this.bodyLen);
            this.joined.set(new Uint8Array(chunk.buffer, chunk.byteOffset + i, take), this.bodyLen - this.remaining);
          }
          i += take;
          this.cmdBytes += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            if (this.joined) this.argv.push(this.joined);
            else if (this.prefix) this.argv.push(this.prefix);
            this.joined = undefined;
            this.prefix = undefined;
            this.s = S.BodyCr;
          }
          break;
        }
        case S.BodyCr: {
          if (chunk[i] !== CR) return this.fail('RSPY_DECODE_BAD_LINE_END', base + i, `expected CR after a ${this.bodyLen}-byte argument, got 0x${hex(chunk[i])}`);
          this.cmdBytes++;
          i++;
          this.s = S.BodyLf;
          break;
        }
        case S.BodyLf: {
          if (chunk[i] !== LF) return this.fail('RSPY_DECODE_BAD_LINE_END', base + i, 'expected LF after CR');
          this.cmdBytes++;
          i++;
          if (this.argBytes) this.argBytes.push(this.bodyLen);
          this.pos = base + i;
          if (this.argv.length === this.argc) this.finishCommand();
          else this.s = S.BulkDollar;
          break;
        }
        case S.Inline: {
          const nl = chunk.indexOf(LF, i);
          const stop = nl === -1 || nl >= end ? end : nl;
          if (stop > i) {
            this.lineParts.push(chunk.subarray(i, stop));
            this.lineLen += stop - i;
          }
          this.cmdBytes += stop - i;
          i = stop;
          if (this.lineLen > MAX_LINE_BYTES) {
            return this.fail('RSPY_DECODE_LINE_TOO_LONG', base + i, `an inline line longer than ${MAX_LINE_BYTES} bytes`);
          }
          if (i < end) {
            // at the LF
            i++;
            this.cmdBytes++;
            let line = this.lineParts.length === 1 ? this.lineParts[0] : Buffer.concat(this.lineParts);
            if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
            this.lineParts.length = 0;
            this.lineLen = 0;
            this.s = S.Start;
            this.pos = base + i;
            this.sink.inline(line, this.cmdBytes);
            if ((this.s as S) === S.Dead) return;
          }
          break;
        }
        case S.Dead:
          this.pos = base + end;
          return;
      }
    }
    this.pos = base + end;
    this.remember(chunk, start, end);
  }

  /** The fast path: a command that lies whole in chunk[i, end) with every argument kept whole is framed in one
   *  tight loop. A command cut inside an argument body is handed to the byte states at that body, in the very
   *  state they would have reached. Returns the index to go on from, or -1 (unusual or invalid, or cut inside a
   *  header) and then the byte-by-byte states frame it from the same place: results and violations are the
   *  same either way. */
  private wholeCommand(chunk: Buffer, i: number, end: number, base: number): number {
    let p = i + 1;
    let argc = 0;
    const argcStart = p;
    while (p < end && chunk[p] >= 0x30 && chunk[p] <= 0x39) argc = argc * 10 + (chunk[p++] - 0x30);
    if (p === argcStart || p - argcStart > 15 || argc > MAX_ARGC || p + 1 >= end || chunk[p] !== CR || chunk[p + 1] !== LF) return -1;
    p += 2;
    const argv: Buffer[] = [];
    for (let a = 0; a < argc; a++) {
      if (p >= end || chunk[p] !== RESP_BULK) return -1;
      p++;
      let len = 0;
      const lenStart = p;
      while (p < end && chunk[p] >= 0x30 && chunk[p] <= 0x39) len = len * 10 + (chunk[p++] - 0x30);
      if (p === lenStart || p - lenStart > 15 || len > this.keepBytes || p + 1 >= end || chunk[p] !== CR || chunk[p + 1] !== LF) return -1;
      p += 2;
      if (p + len + 2 > end) return this.enterBody(argc, argv, len, p - i, p);
      if (chunk[p + len] !== CR || chunk[p + len + 1] !== LF) return -1;
      argv.push(chunk.subarray(p, p + len));
      p += len + 2;
    }
    this.pos = base + p;
    this.sink.command(argv, p - i, undefined);
    return p;
  }

  /** The state the byte states reach after the `$<len>\r\n` line of a kept argument: its body comes next. */
  private enterBody(argc: number, argv: Buffer[], len: number, cmdBytes: number, next: number): number {
    this.argc = argc;
    this.argv = argv;
    this.argBytes = undefined;
    this.bodyLen = len;
    this.remaining = len;
    this.cmdBytes = cmdBytes;
    this.s = S.Body;
    return next;
  }

  private remember(chunk: Buffer, start: number, end: number): void {
    const keep = EXCERPT_BYTES;
    const n = end - start;
    if (n >= keep) {
      // 16 bytes per chunk: a plain loop is cheaper than Buffer#copy, which makes a view first
      const recent = this.recentBuf;
      for (let k = 0, from = end - keep; k < keep; k++) recent[k] = chunk[from + k];
      this.recentLen = keep;
    } else if (n > 0) {
      this.recentBuf.copyWithin(0, n);
      chunk.copy(this.recentBuf, keep - n, start, end);
      this.recentLen = Math.min(keep, this.recentLen + n);
    }
  }

  /** Part of an argument larger than keepBytes: keep a prefix, only count the rest. */
  private takeCutPart(part: Buffer): void {
    if (this.argBytes === undefined) this.argBytes = this.argv.map((a) => a.length);
    if (this.prefix === undefined) this.prefix = Buffer.alloc(0);
    if (this.prefix.length < CUT_ARG_PREFIX_BYTES) {
      // Copy: the prefix outlives the chunk it came from.
      this.prefix = Buffer.concat([this.prefix, part.subarray(0, CUT_ARG_PREFIX_BYTES - this.prefix.length)]);
    }
  }

  /** Where a split argument of `len` bytes is joined: the scratch buffer while it has room (argv views are valid
   *  during the sink call only, and the scratch is reused only once that call returned), else its own Buffer.
   *  Either is fully written before it is shown. */
  private joinTarget(len: number): Buffer {
    if (this.scratchUsed + len > SCRATCH_BYTES) return Buffer.allocUnsafe(len);
    this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
    this.scratchUsed += len;
    return this.scratch.subarray(this.scratchUsed - len, this.scratchUsed);
  }

  private finishCommand(): void {
    const argv = this.argv;
    const argBytes = this.argBytes;
    this.argv = [];
    this.argBytes = undefined;
    this.s = S.Start;
    this.sink.command(argv, this.cmdBytes, argBytes);
    this.scratchUsed = 0;
  }

  private fail(code: string, pos: number, message: string): void {
    this.s = S.Dead;
    // The same excerpt whatever the chunking: the bytes before the bad one, and the bad one.
    const upTo = pos - this.chunkBase + 1;
    const recent = this.recentBuf.subarray(EXCERPT_BYTES - this.recentLen);
    const excerpt = Buffer.concat([recent, this.chunk.subarray(this.chunkStart, Math.max(this.chunkStart, upTo))]).subarray(-EXCERPT_BYTES);
    this.sink.violation(code, pos, message, excerpt);
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
