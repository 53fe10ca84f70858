// One resumable framer for every RESP byte stream repl-spy reads: it cuts one direction of a link (or a file)
// into segments with their byte positions and hands each to a sink, chunk by chunk, without ever needing more
// than the bytes it was given. What a segment means is up to the sink: this file knows framing only.
//
// Every state is resumable at any byte. Argument bodies are views of the chunk they arrive in; only an argument
// split across chunks is joined (into a scratch buffer reused from one command to the next), and one larger than
// `keepArgBytes` keeps its first bytes only, so a 500 MB SET costs no memory. Lines are capped; the diskless
// EOF mark is searched with at most 39 bytes held back. Bad bytes give one error, then bytes are only counted.
// Bytes that are not available (a gap) are counted: inside a payload as payload, anywhere else the framing is lost
// and the framer looks for the next command header, trying each until one proves whole.
import { Buffer } from 'node:buffer';
import { matchCommandStart, MAX_COMMAND_START_BYTES, type CommandStart } from './command-start.js';

/** What the bytes are:
 *  - `requests`: what a client or replica sends: multibulk commands, inline commands, `\n` keepalives;
 *  - `aof`: an append-only file: multibulk commands and `#` annotation lines;
 *  - `replication`: what a master sends a replica: reply lines, `\n` keepalives, the RDB payload (`$<n>` or
 *    `$EOF:<mark>`), Valkey's `$ENDOFF:` line, then multibulk commands;
 *  - `replies`: what a server sends a client: RESP2 and RESP3 replies, each one segment however nested. */
export type Grammar = 'requests' | 'aof' | 'replication' | 'replies';

/** PROTO_INLINE_MAX_SIZE in Redis: the longest inline command (and header line) it reads; our cap for every line. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Redis 7 refuses a multibulk count above INT_MAX ("invalid multibulk length"). */
const PROTO_MULTIBULK_MAX_LEN = 2 ** 31 - 1;
/** RDB_EOF_MARK_SIZE in Redis: the random mark after `$EOF:` that also ends a diskless payload. */
export const RDB_EOF_MARK_SIZE = 40;
/** Argument prefix kept when an argument is larger than keepArgBytes. */
export const CUT_ARG_PREFIX_BYTES = 256;
/** Length digits we accept (10^15 bytes is far beyond any real value and below 2^53). */
const MAX_LENGTH_DIGITS = 15;
/** Bytes before and at the offending byte in an error's excerpt; a bad line shows its first LINE_EXCERPT_BYTES. */
const EXCERPT_BYTES = 16;
const LINE_EXCERPT_BYTES = 32;
/** Split arguments of one command are joined into a reused scratch buffer up to this many bytes in all (a fresh
 *  allocation per join cost more than the copy itself); beyond it each gets its own Buffer. */
const SCRATCH_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const RESP_ARRAY = 0x2a; // '*'
const RESP_BULK = 0x24; // '$'
const AOF_ANNOTATION = 0x23; // '#'
const EMPTY = Buffer.alloc(0);

/** Type bytes of RESP2/RESP3 values: a simple line, a length-prefixed blob, or an aggregate of n (maps, attributes:
 *  2n; an attribute is followed by the value it describes, framed as one more element). Streamed RESP3 (`$?`,
 *  `*?`) is not supported: Redis never sends it. */
const enum T {
  None,
  Simple, // + - : _ , # (
  Blob, // $ ! =
  Aggregate, // * ~ >
  Pairs, // %
  Attribute, // |
}
const TYPE = new Uint8Array(256);
for (const c of '+-:_,#(') TYPE[c.charCodeAt(0)] = T.Simple;
for (const c of '$!=') TYPE[c.charCodeAt(0)] = T.Blob;
for (const c of '*~>') TYPE[c.charCodeAt(0)] = T.Aggregate;
TYPE[0x25] = T.Pairs; // %
TYPE[0x7c] = T.Attribute; // |

export type FramingErrorCode =
  | 'RSPY_DECODE_BAD_TYPE_BYTE'
  | 'RSPY_DECODE_BAD_LENGTH'
  | 'RSPY_DECODE_BAD_LINE_END'
  | 'RSPY_DECODE_LINE_TOO_LONG'
  | 'RSPY_DECODE_BAD_EOF_MARK';

export interface FramingError {
  code: FramingErrorCode;
  /** byte position of the offending byte (of the offending line, for a bad or too long line) */
  pos: number;
  /** just after the offending byte (after the bytes of the offending line seen) */
  end: number;
  /** what should have been there, in words */
  expected: string;
  message: string;
  /** the bytes before and at the offending one, or the first bytes of the offending line */
  excerpt: Buffer;
}

/** Where segments go. Positions count from the first byte fed; a segment is [start, end). Buffers handed over are
 *  valid during the call only (views of the chunk, or of scratch space the framer reuses): copy what you keep.
 *  Only `error` is required: a segment nobody listens to is framed and skipped. */
export interface SegmentSink {
  /** A multibulk command. `argBytes` (each argument's size) only when an argument was cut to its first bytes. */
  command?(argv: Buffer[], start: number, end: number, argBytes: number[] | undefined): void;
  /** A reply line without its line end (`+OK`, `-ERR …`, `:1`, RESP3 `_ , # (`, Valkey's `$ENDOFF:…`); in the
   *  `replies` grammar every whole reply, with its first line as `head` (`$5`, `*3`, `+OK`). */
  reply?(head: Buffer, start: number, end: number): void;
  /** A line without its line end that is not a reply: an inline command, an AOF annotation. */
  inline?(line: Buffer, start: number, end: number): void;
  /** An empty line: the `\n` keepalive. */
  keepalive?(start: number, end: number): void;
  /** The line `$<size>` or `$EOF:<mark>` ([start, bodyStart)): the RDB payload follows. The mark is the
   *  framer's own copy, unchanged until the payload ends. */
  rdbStart?(size: number | null, mark: Buffer | null, start: number, bodyStart: number): void;
  /** Payload bytes, in order, as they arrive (before an EOF mark: once it is known they are not the mark). */
  rdbBody?(part: Buffer, pos: number): void;
  /** The payload ended at bodyEnd, its segment (with the EOF mark, if any) at end. */
  rdbEnd?(bodyEnd: number, end: number): void;
  /** After lost framing (see gap): the command [start, end) that framing resumed at, just before its `command`;
   *  `skipped` bytes were passed over to reach it (gaps not counted). */
  resync?(start: number, end: number, skipped: number): void;
  /** Part of argument `index` of a command of `argc`, as it arrives, `remaining` bytes of it still to come (an
   *  empty argument is one empty part); `header` is where the argument's `$` line began. For a sink that must act
   *  before a command is complete (the capture's secret masker). A command whole in one chunk gives each argument
   *  as one part, all of them just before `command`; one cut across chunks, part by part as the bytes arrive. */
  argument?(part: Buffer, pos: number, index: number, argc: number, remaining: number, header: number): void;
  error(e: FramingError): void;
}

export interface FramerOptions {
  /** Arguments larger than this keep only their first CUT_ARG_PREFIX_BYTES (default 1 MiB). */
  keepArgBytes?: number;
  /** The sink reads argument bodies only through `argument`: they are never joined or cut for `command`, whose
   *  argv is then not to be read (keepArgBytes does not apply). */
  argumentsOnly?: boolean;
}

const enum S {
  Start, // at a segment boundary
  Lf, // the LF after a CR (afterLf says what it ends)
  // a multibulk command
  ArgcDigits,
  BulkDollar,
  BulkDigits,
  Body,
  BodyCr,
  // a line up to LF: inline, reply, keepalive, `$` payload line, or the head of a value in the replies grammar
  Line,
  // RDB payload
  RdbSized,
  RdbEof,
  // replies grammar: the body of a blob value (only counted) and its CR
  BlobBody,
  BlobCr,
  // framing lost: looking for the next command header
  Hunt,
  Dead,
}

/** What the LF of a CRLF ends. */
const enum Lf {
  Argc,
  BulkLength,
  Argument,
  Blob,
}

export class RespFramer {
  private s = S.Start;
  private afterLf = Lf.Argc;
  /** Byte position of the next byte to be fed. */
  pos = 0;
  private start = 0; // where the segment in progress (or the last one) started
  private readonly keepBytes: number;
  private readonly commandsAtTop: boolean; // a '*' at a segment boundary starts a command (not a reply)
  private readonly argParts: boolean; // the sink takes arguments part by part
  private readonly keepBodies: boolean; // argv holds the bodies (not when the sink takes them only part by part)
  private readonly headers: number[] = []; // the fast path's `$` line positions, for a sink of argument parts
  // multibulk command
  private num = 0;
  private numDigits = 0;
  private negative = false;
  private argc = 0;
  private argv: Buffer[] = [];
  private argBytes: number[] | undefined;
  private remaining = 0; // body bytes still expected (argument, blob or sized payload)
  private argStart = 0; // where the argument being framed (its `$` header) began, in the byte states
  private bodyLen = 0;
  // Set only while in Body, and cleared when the argument is complete (the only way out of Body but an error):
  private joined: Buffer | undefined; // the argument being joined from parts in several chunks (kept whole)
  private prefix: Buffer | undefined; // kept head of a cut argument
  private scratch: Buffer | undefined; // joined split arguments of the current command (allocated on first use)
  private scratchUsed = 0;
  // lines
  private lineParts: Buffer[] = [];
  private lineLen = 0;
  private lineStart = 0;
  // EOF-marked payload: the mark, and the last < 40 bytes fed that may be its start (held back from rdbBody)
  private mark: Buffer = EMPTY;
  private readonly held = Buffer.alloc(2 * (RDB_EOF_MARK_SIZE - 1));
  private heldLen = 0;
  // replies grammar: elements still expected in each open aggregate, and the head line of the reply in progress
  private open: number[] = [];
  private head: Buffer = EMPTY;
  // Last bytes of earlier chunks, for error excerpts: right-aligned in a fixed buffer (no allocation per chunk).
  private readonly recentBuf = Buffer.alloc(EXCERPT_BYTES);
  private recentLen = 0;
  private chunk: Buffer = EMPTY;
  private chunkBase = 0; // stream position of chunk[0]
  // lost framing: a header a chunk ended inside, where skipping began and the gap bytes since, and whether the
  // command being framed is the one found (a bad byte in it means looking on from that byte)
  private readonly huntBuf = Buffer.alloc(2 * MAX_COMMAND_START_BYTES);
  private huntLen = 0;
  private lostAt = 0;
  private lostGap = 0;
  private recovering = false;

  constructor(
    readonly grammar: Grammar,
    private readonly sink: SegmentSink,
    opts: FramerOptions = {},
  ) {
    this.keepBodies = !(opts.argumentsOnly && sink.argument);
    this.keepBytes = this.keepBodies ? (opts.keepArgBytes ?? 1024 * 1024) : Infinity;
    this.commandsAtTop = grammar !== 'replies';
    this.argParts = sink.argument !== undefined;
  }

  /** True after an error or stop(): bytes are only counted. */
  get dead(): boolean {
    return this.s === S.Dead;
  }

  /** Frame nothing more (no callback after this one): the rest is only counted. */
  stop(): void {
    this.s = S.Dead;
  }

  /** True while framing is lost: no command found yet, or the one found not yet whole. */
  get hunting(): boolean {
    return this.s === S.Hunt || this.recovering;
  }

  /** True at a segment boundary (not inside a segment, not hunting, not stopped). */
  get atBoundary(): boolean {
    return this.s === S.Start;
  }

  /** Where the line the framer is inside of began (null when it is not inside a line). */
  get openLine(): number | null {
    return this.s === S.Line ? this.lineStart : null;
  }

  /** Where the argument the framer is inside of (its `$` header or its body) began; null elsewhere. */
  get openArgument(): number | null {
    const s = this.s;
    return s === S.BulkDigits || s === S.Body || (s === S.Lf && this.afterLf === Lf.BulkLength) ? this.argStart : null;
  }

  /** `bytes` bytes of the input are not available (a capture left them out or lost them). Inside a sized payload
   *  they are payload up to its end; inside an EOF-marked one they are payload, and the bytes held back as a
   *  possible start of the mark are released (a mark never straddles a gap). Anywhere else the framing is lost
   *  (see resync). Returns true when it was. */
  gap(bytes: number): boolean {
    this.recentLen = 0; // an excerpt shows no byte from before a gap
    if (this.s === S.RdbSized) {
      const body = Math.min(bytes, this.remaining);
      this.remaining -= body;
      this.pos += body;
      bytes -= body;
      if (this.remaining > 0) return false;
      this.s = S.Start;
      this.sink.rdbEnd?.(this.pos, this.pos);
      if (bytes === 0) return false; // the gap ended with the payload: the next segment starts after it
    } else if (this.s === S.RdbEof) {
      const held = this.heldLen;
      this.heldLen = 0;
      if (held > 0) this.sink.rdbBody?.(Buffer.from(this.held.subarray(0, held)), this.pos - held);
      this.pos += bytes;
      return false;
    }
    if (this.s === S.Dead) {
      this.pos += bytes;
      return false;
    }
    this.resync();
    this.lostGap += bytes;
    this.pos += bytes;
    return true;
  }

  /** The framing is lost here: frame nothing until the next command header (command-start.ts), then take up
   *  there; a bad byte before that command is whole means looking on from that byte. The `resync` callback says
   *  where framing resumed. */
  resync(): void {
    if (this.s === S.Dead) return;
    if (!this.hunting) {
      this.lostAt = this.pos;
      this.lostGap = 0;
    }
    this.s = S.Hunt;
    this.recovering = false;
    this.huntLen = 0;
    this.heldLen = 0;
    this.lineParts.length = 0;
    this.lineLen = 0;
    this.open.length = 0;
    this.argv = [];
    this.joined = undefined;
    this.prefix = undefined;
    this.scratchUsed = 0;
  }

  /** The input is over. Bytes held back as a possible EOF mark go out as payload. Returns the start of the
   *  segment left incomplete, or null when the input ended at a segment boundary (or after an error). */
  end(): number | null {
    const s = this.s;
    this.s = S.Dead;
    if (s === S.Start || s === S.Dead || s === S.Hunt) return null;
    if (s === S.RdbEof && this.heldLen > 0) this.sink.rdbBody?.(Buffer.from(this.held.subarray(0, this.heldLen)), this.pos - this.heldLen);
    return this.start;
  }

  feed(chunk: Buffer): void {
    let i = 0;
    const end = chunk.length;
    const base = this.pos;
    this.chunk = chunk;
    this.chunkBase = base;
    while (i < end) {
      switch (this.s) {
        case S.Start: {
          this.start = base + i;
          const b = chunk[i];
          if (b === RESP_ARRAY && this.commandsAtTop) {
            const next = this.wholeCommand(chunk, i, end, base);
            if (next >= 0) {
              i = next;
              break;
            }
            this.beginNumber(S.ArgcDigits);
            i++;
          } else if (this.grammar === 'aof' && b !== AOF_ANNOTATION) {
            this.failByte('RSPY_DECODE_BAD_TYPE_BYTE', base + i, '"*" (a command) or "#" (an annotation)', `unexpected byte 0x${hex(b)}`);
          } else {
            this.beginLine(base + i);
          }
          break;
        }
        case S.ArgcDigits:
        case S.BulkDigits: {
          const b = chunk[i];
          if (b >= 0x30 && b <= 0x39) {
            this.num = this.num * 10 + (b - 0x30);
            if (++this.numDigits > MAX_LENGTH_DIGITS) {
              this.failByte('RSPY_DECODE_BAD_LENGTH', base + i, this.lengthName(), 'length too large');
              break;
            }
          } else if (b === 0x2d && this.numDigits === 0 && !this.negative) {
            this.negative = true;
          } else if (b === CR && this.numDigits > 0) {
            this.expectLf(this.s === S.ArgcDigits ? Lf.Argc : Lf.BulkLength);
          } else {
            this.failByte('RSPY_DECODE_BAD_LENGTH', base + i, this.lengthName(), `expected a digit or CR, got 0x${hex(b)}`);
            break;
          }
          i++;
          break;
        }
        case S.Lf: {
          if (chunk[i] !== LF) {
            this.failByte('RSPY_DECODE_BAD_LINE_END', base + i, 'LF after CR', 'expected LF after CR');
            break;
          }
          i++;
          this.lfDone(base + i);
          break;
        }
        case S.BulkDollar: {
          if (chunk[i] !== RESP_BULK) {
            this.failByte('RSPY_DECODE_BAD_TYPE_BYTE', base + i, '"$" (a bulk string)', `expected '$' for argument ${this.argv.length + 1}, got 0x${hex(chunk[i])}`);
            break;
          }
          this.argStart = base + i;
          this.beginNumber(S.BulkDigits);
          i++;
          break;
        }
        case S.Body: {
          const take = Math.min(end - i, this.remaining);
          if (this.argParts) this.sink.argument!(chunk.subarray(i, i + take), base + i, this.argv.length, this.argc, this.remaining - take, this.argStart);
          if (!this.keepBodies) {
            if (take === this.remaining) this.argv.push(EMPTY); // counted, not kept
          } else if (this.bodyLen > this.keepBytes) {
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
        case S.BodyCr:
        case S.BlobCr: {
          const argument = this.s === S.BodyCr;
          if (chunk[i] !== CR) {
            this.failByte('RSPY_DECODE_BAD_LINE_END', base + i, 'CRLF after the bulk', `expected CR after a ${this.bodyLen}-byte ${argument ? 'argument' : 'value'}, got 0x${hex(chunk[i])}`);
            break;
          }
          i++;
          this.expectLf(argument ? Lf.Argument : Lf.Blob);
          break;
        }
        case S.Line: {
          const nl = chunk.indexOf(LF, i);
          const stop = nl === -1 ? end : nl;
          if (stop > i) {
            this.lineParts.push(chunk.subarray(i, stop));
            this.lineLen += stop - i;
          }
          i = stop;
          if (this.lineLen > PROTO_INLINE_MAX_SIZE) {
            // the offending byte: the first beyond the cap
            const tooFar = this.lineStart + PROTO_INLINE_MAX_SIZE + 1;
            this.failLine('RSPY_DECODE_LINE_TOO_LONG', `a line of at most ${PROTO_INLINE_MAX_SIZE} bytes`, `a line longer than ${PROTO_INLINE_MAX_SIZE} bytes starts here`, Buffer.concat(this.lineParts), tooFar);
          } else if (i < end) {
            i++; // the LF
            this.lineDone(base + i);
          }
          break;
        }
        case S.RdbSized: {
          const take = Math.min(end - i, this.remaining);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.s = S.Start;
          this.sink.rdbBody?.(take === end ? chunk : chunk.subarray(i - take, i), base + i - take); // a whole chunk: no view
          if (this.remaining === 0 && this.s === S.Start) this.sink.rdbEnd?.(base + i, base + i);
          break;
        }
        case S.RdbEof:
          i = this.eofMarked(chunk, i, end, base);
          break;
        case S.BlobBody: {
          const take = Math.min(end - i, this.remaining);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.s = S.BlobCr;
          break;
        }
        case S.Hunt:
          i = this.hunt(chunk, i, end, base);
          break;
        case S.Dead:
          i = end;
          break;
      }
    }
    this.pos = base + end;
    // Inside a sized payload with at least an excerpt's worth of it to come, no error can show these bytes.
    if (this.s !== S.RdbSized || this.remaining < EXCERPT_BYTES) this.remember(chunk);
  }

  /** The fast path: a command that lies whole in chunk[i, end) with every argument kept whole is framed in one
   *  tight loop. A command cut inside an argument body is handed to the byte states at that body, in the very
   *  state they would have reached. Returns the index to go on from, or -1 (unusual or invalid, or cut inside a
   *  header) and then the byte-by-byte states frame it from the same place: results and errors are the same
   *  either way. */
  private wholeCommand(chunk: Buffer, i: number, end: number, base: number): number {
    let p = i + 1;
    let argc = 0;
    const argcStart = p;
    while (p < end && chunk[p] >= 0x30 && chunk[p] <= 0x39) argc = argc * 10 + (chunk[p++] - 0x30);
    if (p === argcStart || p - argcStart > MAX_LENGTH_DIGITS || argc > PROTO_MULTIBULK_MAX_LEN || p + 1 >= end || chunk[p] !== CR || chunk[p + 1] !== LF) return -1;
    p += 2;
    const argv: Buffer[] = [];
    for (let a = 0; a < argc; a++) {
      if (p >= end || chunk[p] !== RESP_BULK) return -1;
      p++;
      let len = 0;
      const lenStart = p;
      this.headers[a] = base + p - 1;
      while (p < end && chunk[p] >= 0x30 && chunk[p] <= 0x39) len = len * 10 + (chunk[p++] - 0x30);
      if (p === lenStart || p - lenStart > MAX_LENGTH_DIGITS || len > this.keepBytes || p + 1 >= end || chunk[p] !== CR || chunk[p + 1] !== LF) return -1;
      p += 2;
      if (p + len + 2 > end) {
        this.arguments(argv, argc, chunk, base);
        return this.enterBody(argc, argv, len, p, base + lenStart - 1);
      }
      if (chunk[p + len] !== CR || chunk[p + len + 1] !== LF) return -1;
      argv.push(chunk.subarray(p, p + len));
      p += len + 2;
    }
    this.arguments(argv, argc, chunk, base);
    if (this.recovering) this.resumed(base + i, base + p);
    this.sink.command?.(argv, base + i, base + p, undefined);
    return p;
  }

  /** The fast path's whole arguments, to a sink that takes them part by part: each one part, once the command
   *  (or the part of it before the body the chunk ends in) proved valid, so a command the byte states frame
   *  after all never gives an argument twice. */
  private arguments(argv: Buffer[], argc: number, chunk: Buffer, base: number): void {
    if (!this.argParts) return;
    for (let a = 0; a < argv.length; a++) {
      const part = argv[a]!;
      const pos = base + part.byteOffset - chunk.byteOffset;
      this.sink.argument!(part, pos, a, argc, 0, this.headers[a]!);
    }
  }

  /** The state the byte states reach after the `$<len>\r\n` line of a kept argument: its body comes next. */
  private enterBody(argc: number, argv: Buffer[], len: number, next: number, argStart: number): number {
    this.argc = argc;
    this.argStart = argStart;
    this.argv = argv;
    this.argBytes = undefined;
    this.bodyLen = len;
    this.remaining = len;
    this.s = S.Body;
    return next;
  }

  /** Part of an argument larger than keepBytes: keep a prefix, only count the rest. */
  private takeCutPart(part: Buffer): void {
    if (this.argBytes === undefined) this.argBytes = this.argv.map((a) => a.length);
    if (this.prefix === undefined) this.prefix = EMPTY;
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

  private beginNumber(digits: S.ArgcDigits | S.BulkDigits): void {
    this.s = digits;
    this.num = 0;
    this.numDigits = 0;
    this.negative = false;
  }

  private expectLf(then: Lf): void {
    this.s = S.Lf;
    this.afterLf = then;
  }

  /** The LF after a CR arrived (`end` is just after it): what it ended decides what comes next. */
  private lfDone(end: number): void {
    switch (this.afterLf) {
      case Lf.Argc:
        if (this.negative || this.num > PROTO_MULTIBULK_MAX_LEN) {
          return this.failByte('RSPY_DECODE_BAD_LENGTH', end - 1, 'an argument count', `bad array length ${this.negative ? '-' : ''}${this.num}`);
        }
        this.argc = this.num;
        this.argv = [];
        this.argBytes = undefined;
        if (this.argc === 0) this.finishCommand(end);
        else this.s = S.BulkDollar;
        return;
      case Lf.BulkLength:
        if (this.negative) return this.failByte('RSPY_DECODE_BAD_LENGTH', end - 1, 'a bulk length', 'negative bulk length in a command');
        this.bodyLen = this.num;
        this.remaining = this.num;
        this.s = S.Body;
        return;
      case Lf.Argument:
        if (this.argBytes) this.argBytes.push(this.bodyLen);
        if (this.argv.length === this.argc) this.finishCommand(end);
        else this.s = S.BulkDollar;
        return;
      case Lf.Blob:
        return this.valueDone(end);
    }
  }

  private lengthName(): string {
    return this.s === S.ArgcDigits ? 'an argument count' : 'a bulk length';
  }

  private finishCommand(end: number): void {
    const argv = this.argv;
    const argBytes = this.argBytes;
    this.argv = [];
    this.argBytes = undefined;
    this.s = S.Start;
    if (this.recovering) this.resumed(this.start, end);
    this.sink.command?.(argv, this.start, end, argBytes);
    this.scratchUsed = 0;
  }

  // ------------------------------------------------------------ lost framing

  /** Looks for the next command header in chunk[i, end) and returns where framing goes on. A header that the
   *  chunk ends inside is held (it is shorter than MAX_COMMAND_START_BYTES), so the result never depends on where
   *  chunks end. */
  private hunt(chunk: Buffer, i: number, end: number, base: number): number {
    const held = this.huntLen;
    if (held > 0) {
      // The held bytes are a header's start: `*`, digits, CRLF, `$`, digits, CRLF, name bytes: no other `*`.
      const take = Math.min(end - i, MAX_COMMAND_START_BYTES);
      chunk.copy(this.huntBuf, held, i, i + take);
      const m = matchCommandStart(this.huntBuf, 0, held + take);
      if (m === 'more') {
        this.huntLen = held + take; // take is the whole chunk here: a header is never longer
        return end;
      }
      this.huntLen = 0;
      if (m !== 'no') return this.afterHeader(m, base + i - held, i + m.next - held, base);
    }
    for (let from = i; ; ) {
      const star = chunk.indexOf(RESP_ARRAY, from);
      if (star === -1) return end;
      const m = matchCommandStart(chunk, star, end);
      if (m === 'no') {
        from = star + 1;
      } else if (m === 'more') {
        chunk.copy(this.huntBuf, 0, star, end);
        this.huntLen = end - star;
        return end;
      } else {
        // the byte states frame it from its `*`, as any command
        this.recovering = true;
        this.s = S.Start;
        return star;
      }
    }
  }

  /** A header that began in held bytes was found: framing goes on after it, at index `next` of the chunk. */
  private afterHeader(m: Exclude<CommandStart, 'no' | 'more'>, start: number, next: number, base: number): number {
    this.recovering = true;
    this.start = start;
    this.argc = m.argc;
    this.argv = [Buffer.from(m.name, 'latin1')];
    this.argBytes = undefined;
    if (m.argc === 1) this.finishCommand(base + next);
    else this.s = S.BulkDollar;
    return next;
  }

  /** The command found after lost framing is whole: framing has resumed. */
  private resumed(start: number, end: number): void {
    this.recovering = false;
    this.sink.resync?.(start, end, start - this.lostAt - this.lostGap);
  }

  // ------------------------------------------------------------ lines

  private beginLine(pos: number): void {
    this.s = S.Line;
    this.lineStart = pos;
    this.lineParts.length = 0;
    this.lineLen = 0;
  }

  private lineDone(end: number): void {
    const parts = this.lineParts;
    let line = parts.length === 1 ? parts[0] : parts.length === 0 ? EMPTY : Buffer.concat(parts, this.lineLen);
    parts.length = 0;
    this.lineLen = 0;
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    this.s = S.Start;
    if (this.grammar === 'replies') return this.valueHead(line, end);
    if (this.grammar === 'replication' && line.length > 0) {
      if (line[0] === RESP_BULK && !startsWith(line, '$ENDOFF:')) return this.payloadLine(line, end);
      if (TYPE[line[0]] === T.Simple || line[0] === RESP_BULK) return this.sink.reply?.(line, this.start, end);
    }
    if (line.length === 0) this.sink.keepalive?.(this.start, end);
    else this.sink.inline?.(line, this.start, end);
  }

  /** `$<size>` or `$EOF:<mark>` on a replication link. */
  private payloadLine(line: Buffer, end: number): void {
    if (startsWith(line, '$EOF:')) {
      if (line.length - 5 !== RDB_EOF_MARK_SIZE) {
        return this.failLine('RSPY_DECODE_BAD_EOF_MARK', `an EOF mark of ${RDB_EOF_MARK_SIZE} bytes`, `the EOF mark must be ${RDB_EOF_MARK_SIZE} bytes, got ${line.length - 5}`, line, end);
      }
      this.mark = Buffer.from(line.subarray(5)); // kept until the payload ends
      this.heldLen = 0;
      this.s = S.RdbEof;
      this.sink.rdbStart?.(null, this.mark, this.start, end);
      return;
    }
    const size = parseLength(line);
    if (!(size >= 0)) return this.failLine('RSPY_DECODE_BAD_LENGTH', 'an RDB length ($<bytes> or $EOF:<mark>)', `bad RDB length line ${JSON.stringify(line.toString('latin1', 0, 40))}`, line, end);
    this.remaining = size;
    this.s = size > 0 ? S.RdbSized : S.Start;
    this.sink.rdbStart?.(size, null, this.start, end);
    if (size === 0 && this.s === S.Start) this.sink.rdbEnd?.(end, end);
  }

  // ------------------------------------------------------------ EOF-marked payload

  /** Payload bytes until the mark: the mark may start in the bytes held back from earlier chunks or anywhere in
   *  this one. Everything but the last 39 bytes seen is surely payload (a whole mark there would have been found);
   *  those are held back, copied into a fixed buffer, and released once the next bytes tell. */
  private eofMarked(chunk: Buffer, i: number, end: number, base: number): number {
    const M = RDB_EOF_MARK_SIZE;
    const held = this.heldLen;
    const heldPos = base + i - held;
    const n = end - i;
    if (held > 0) {
      const head = Math.min(n, M - 1);
      chunk.copy(this.held, held, i, i + head);
      const at = this.held.subarray(0, held + head).indexOf(this.mark);
      if (at !== -1 && at < held) {
        this.heldLen = 0;
        this.s = S.Start;
        if (at > 0) this.sink.rdbBody?.(Buffer.from(this.held.subarray(0, at)), heldPos);
        if (this.s === S.Start) this.sink.rdbEnd?.(heldPos + at, heldPos + at + M);
        return i + at + M - held;
      }
    }
    const found = chunk.indexOf(this.mark, i);
    if (found !== -1) {
      this.heldLen = 0;
      this.s = S.Start;
      if (held > 0) this.sink.rdbBody?.(Buffer.from(this.held.subarray(0, held)), heldPos);
      if (found > i && this.s === S.Start) this.sink.rdbBody?.(chunk.subarray(i, found), base + i);
      if (this.s === S.Start) this.sink.rdbEnd?.(base + found, base + found + M);
      return found + M;
    }
    const keep = Math.min(M - 1, held + n);
    const release = held + n - keep;
    const fromHeld = Math.min(held, release);
    const fromChunk = release - fromHeld;
    const out = fromHeld > 0 ? Buffer.from(this.held.subarray(0, fromHeld)) : EMPTY;
    // the new held bytes: what is left of the old ones, then the end of this chunk
    this.held.copyWithin(0, fromHeld, held);
    chunk.copy(this.held, held - fromHeld, i + fromChunk, end);
    this.heldLen = keep;
    if (fromHeld > 0) this.sink.rdbBody?.(out, heldPos);
    if (fromChunk > 0 && this.s === S.RdbEof) this.sink.rdbBody?.(chunk.subarray(i, i + fromChunk), base + i);
    return end;
  }

  // ------------------------------------------------------------ replies grammar

  /** The first line of a value: a simple value is complete, a blob's body or an aggregate's elements follow. */
  private valueHead(line: Buffer, end: number): void {
    const t = line.length > 0 ? TYPE[line[0]] : T.None;
    if (t === T.None) {
      return this.failLine('RSPY_DECODE_BAD_TYPE_BYTE', 'a RESP type byte', `expected a RESP type byte, got ${line.length > 0 ? `0x${hex(line[0])}` : 'an empty line'}`, line, end);
    }
    const top = this.open.length === 0;
    if (t === T.Simple) {
      if (top) this.head = line;
      return this.valueDone(end);
    }
    if (top) this.head = Buffer.from(line); // the reply ends in a later line or chunk
    const n = parseLength(line);
    if (n === -1 && (line[0] === RESP_BULK || line[0] === RESP_ARRAY)) return this.valueDone(end); // RESP2 null
    if (!(n >= 0)) return this.failLine('RSPY_DECODE_BAD_LENGTH', 'a length', `bad length line ${JSON.stringify(line.toString('latin1', 0, 40))}`, line, end);
    if (t === T.Blob) {
      this.bodyLen = n;
      this.remaining = n;
      this.s = n > 0 ? S.BlobBody : S.BlobCr;
      return;
    }
    const count = t === T.Pairs ? 2 * n : t === T.Attribute ? 2 * n + 1 : n;
    if (count === 0) return this.valueDone(end);
    this.open.push(count);
    this.beginLine(end);
  }

  /** A value ended at `end`: the next element of the innermost open aggregate follows, or the reply is complete. */
  private valueDone(end: number): void {
    const open = this.open;
    while (open.length > 0) {
      if (--open[open.length - 1] > 0) return this.beginLine(end);
      open.pop();
    }
    this.s = S.Start;
    const head = this.head;
    this.head = EMPTY;
    this.sink.reply?.(head, this.start, end);
  }

  // ------------------------------------------------------------ errors

  private remember(chunk: Buffer): void {
    const keep = EXCERPT_BYTES;
    const n = chunk.length;
    if (n >= keep) {
      // 16 bytes per chunk: a plain loop is cheaper than Buffer#copy, which makes a view first
      const recent = this.recentBuf;
      for (let k = 0, at = n - keep; k < keep; k++) recent[k] = chunk[at + k];
      this.recentLen = keep;
    } else if (n > 0) {
      this.recentBuf.copyWithin(0, n);
      chunk.copy(this.recentBuf, keep - n);
      this.recentLen = Math.min(keep, this.recentLen + n);
    }
  }

  /** A bad byte: the excerpt is the same whatever the chunking: the bytes before it, and it. */
  private failByte(code: FramingErrorCode, pos: number, expected: string, message: string): void {
    if (this.recovering) {
      // the command found after lost framing was none: look on from this byte
      this.recovering = false;
      this.s = S.Hunt;
      return;
    }
    const recent = this.recentBuf.subarray(EXCERPT_BYTES - this.recentLen);
    const excerpt = Buffer.concat([recent, this.chunk.subarray(0, pos - this.chunkBase + 1)]).subarray(-EXCERPT_BYTES);
    this.fail(code, pos, pos + 1, expected, message, excerpt);
  }

  /** A bad line: reported at its first byte, with its first bytes. */
  private failLine(code: FramingErrorCode, expected: string, message: string, line: Buffer, end: number): void {
    this.fail(code, this.lineStart, end, expected, message, Buffer.from(line.subarray(0, LINE_EXCERPT_BYTES)));
  }

  private fail(code: FramingErrorCode, pos: number, end: number, expected: string, message: string, excerpt: Buffer): void {
    this.s = S.Dead;
    this.lineParts.length = 0;
    this.sink.error({ code, pos, end, expected, message, excerpt });
  }
}

/** The number after the type byte of a header line: digits with an optional '-', else NaN. */
function parseLength(line: Buffer): number {
  let p = 1;
  const negative = line[p] === 0x2d;
  if (negative) p++;
  const digits = line.length - p;
  if (digits < 1 || digits > MAX_LENGTH_DIGITS) return NaN;
  let n = 0;
  for (; p < line.length; p++) {
    const d = line[p] - 0x30;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

function startsWith(line: Buffer, prefix: string): boolean {
  if (line.length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (line[k] !== prefix.charCodeAt(k)) return false;
  return true;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
