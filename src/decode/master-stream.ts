// Decoder of the master→replica direction of one link: handshake reply lines, the PSYNC answer, newline
// keepalives, the RDB payload (`$<len>` or `$EOF:<mark>`), then the propagated command stream with offsets.
// Pure: bytes and a timestamp in, events out. Protocol: ../shared/docs/protocol.md §3, §4, §6.

import type { ReplSink } from '../core/events.js';
import { EofMarkFinder, EOF_MARK_BYTES } from './eof-mark.js';
import type { LinkState } from './link-state.js';
import { RespFramer, MAX_LINE_BYTES } from './resp-framer.js';
import { excerptHex } from './excerpt.js';
import { CommandStartFinder } from './command-start.js';

const LF = 0x0a;
const RDB_PROGRESS_STEP = 1024 * 1024;
/** Commands held while the start offset of a Redis 8 main channel is not yet known (see setStreamBase). */
const MAX_PENDING_COMMANDS = 100_000;
/** After a mid-stream join, a replica ACK gives the offset only when no master byte came for this long before it
 *  (the replica has then applied everything it was sent). */
export const ANCHOR_QUIET_MS = 100;

/** 'resync': the framing was lost (a gap outside an RDB body, a capture joined mid-stream): looking for the next
 *  command. */
export type MasterPhase = 'reply' | 'await-payload' | 'rdb-sized' | 'rdb-eof' | 'commands' | 'resync' | 'opaque';

/** What the RDB payload is handed to (the streaming RDB decoder), if anyone listens. */
export interface RdbSink {
  feed(chunk: Buffer, at: number): void;
  end(at: number): void;
}

export class MasterStream {
  phase: MasterPhase = 'reply';
  /** byte position in this direction */
  pos = 0;
  db: number | null = null;
  private line: Buffer[] = [];
  private lineLen = 0;
  private at = 0;
  // payload
  private rdbMode: 'disk' | 'diskless' = 'disk';
  private rdbSize: number | null = null;
  private rdbRemaining = 0;
  private rdbBytes = 0; // payload bytes received (for diskless: may include part of the mark until it is found)
  private rdbStartAt = 0;
  private finder: EofMarkFinder | null = null;
  /** diskless: RDB bytes up to the end of the last gap in the body (its mark may have been in a gap) */
  private rdbBytesBeforeLoss: number | null = null;
  private held: Buffer = Buffer.alloc(0); // diskless: last bytes not yet handed to the rdb sink (could be the mark)
  private rdb: RdbSink | null = null;
  // stream
  private framer: RespFramer;
  private streamBase: number | null = null; // offset before the first stream byte
  private streamBytes = 0; // complete-command bytes since the stream started
  private pending: { argv: Buffer[]; bytes: number; argBytes?: number[]; at: number; rel: number; db: number | null }[] = [];
  private pendingBase = false; // waiting for setStreamBase
  private presetBase: number | null = null;
  // lost framing
  private commandStart: CommandStartFinder | null = null;
  /** position after the last complete command (null: the offsets of skipped bytes are unknown) */
  private boundaryPos: number | null = 0;
  /** the command found after lost framing, until it proves whole: a bad byte before then means resync again */
  private recovering: { pos: number } | null = null;
  /** where the framer met a bad byte while recovering: resync goes on from there */
  private retryAt: number | null = null;
  /** joined mid-stream: offsets wait for a replica ACK (see anchor) */
  private awaitingAnchor = false;
  private lastBytesAt = -Infinity;
  /** stream position just after the reply line being handled */
  private lineEnd = 0;

  constructor(
    private readonly link: number,
    private readonly state: LinkState,
    private readonly emit: ReplSink,
    private readonly makeRdbSink: (() => RdbSink) | null,
    private readonly keepArgBytes?: number,
  ) {
    this.framer = this.newFramer();
  }

  private newFramer(): RespFramer {
    return new RespFramer(
      {
        command: (argv, bytes, argBytes) => this.onCommand(argv, bytes, argBytes),
        inline: (line, bytes) => this.onInline(line, bytes),
        violation: (code, pos, message, excerpt) => {
          if (this.recovering) this.retryAt = pos; // the command found was not one: look again from the bad byte
          else this.violation(code, pos, message, excerpt);
        },
      },
      this.keepArgBytes,
    );
  }

  feed(chunk: Buffer, at: number): void {
    this.at = at;
    let i = 0;
    while (i < chunk.length) {
      switch (this.phase) {
        case 'reply':
        case 'await-payload':
          i = this.feedLine(chunk, i);
          break;
        case 'rdb-sized':
          i = this.feedSized(chunk, i);
          break;
        case 'rdb-eof':
          i = this.feedEofMarked(chunk, i);
          break;
        case 'commands':
          i = this.feedCommands(chunk, i);
          break;
        case 'resync':
          i = this.feedResync(chunk, i);
          break;
        case 'opaque':
          i = chunk.length;
          break;
      }
    }
    this.pos += chunk.length;
    this.lastBytesAt = at;
  }

  /** Bytes that crossed the wire but are not available (a capture gap, bytes missing from a packet capture). In
   *  an RDB body they are skipped. Elsewhere the framing is lost: decoding resumes at the next command, with
   *  exact offsets when the gap is in the command stream, else (the stream's start is not known) with the
   *  offsets a replica ACK gives (see anchor). */
  gap(bytes: number, at: number, reason: string): void {
    this.at = at;
    if (this.phase === 'rdb-sized' && bytes > this.rdbRemaining) {
      // the RDB ends inside the gap: the stream starts right after it, so its offsets stay exact
      const body = this.rdbRemaining;
      this.skipBody(body, reason);
      bytes -= body;
    } else if (this.phase === 'rdb-sized' || this.phase === 'rdb-eof') {
      this.skipBody(bytes, reason);
      return;
    }
    if (this.phase === 'opaque') {
      this.pos += bytes;
      return;
    }
    this.loseFraming(this.phase === 'commands' || this.phase === 'resync');
    this.pos += bytes;
  }

  /** `streamStartKnown`: the gap is in the command stream, whose offsets then stay exact. */
  private loseFraming(streamStartKnown: boolean): void {
    if (!streamStartKnown) {
      // the handshake or the `$` line is lost: where the stream starts, and so its offsets, is not known
      this.startStream(null, this.pos);
      this.pendingBase = true;
      this.awaitingAnchor = true;
      this.boundaryPos = null;
    }
    this.phase = 'resync';
    this.recovering = null;
    if (this.commandStart) this.commandStart.reset();
    else this.commandStart = new CommandStartFinder();
  }

  private skipBody(bytes: number, reason: string): void {
    const at = this.at;
    if (this.rdb) {
      // The RDB decoder cannot go on without these bytes; say why rather than report a truncated file.
      this.rdb = null;
      this.emit({ type: 'rdb-info', at, link: this.link, phase: 'error', info: { code: 'RSPY_RDB_NOT_AVAILABLE', message: `${bytes} bytes of the RDB body are not available (${reason}); the snapshot was not analysed` } });
    }
    const before = this.rdbBytes;
    this.pos += bytes;
    this.rdbBytes += bytes;
    this.held = Buffer.alloc(0);
    if (this.phase === 'rdb-eof') {
      // The mark cannot straddle a gap (a capture keeps the mark itself); restart the seam search. A packet
      // capture may have lost the mark itself: then the replica's first ACK says the transfer is over.
      this.finder = new EofMarkFinder(this.finder!.mark);
      this.rdbBytesBeforeLoss = this.rdbBytes;
    } else {
      this.rdbRemaining -= bytes;
    }
    this.progress(before);
    if (this.phase === 'rdb-sized' && this.rdbRemaining === 0) this.finishRdb(this.pos);
  }

  /** A replica ACK after a mid-stream join: while the master sent nothing for ANCHOR_QUIET_MS, the replica has
   *  applied every command sent so far, so the offset after the last one is `ackOffset`. The commands held until
   *  then get their offsets. */
  anchor(ackOffset: number, at: number): void {
    this.at = at;
    if (this.phase === 'rdb-eof' && this.rdbBytesBeforeLoss !== null) return this.rdbEndLost();
    if (!this.awaitingAnchor || this.phase !== 'commands' || this.recovering || !this.framer.atCommandStart) return;
    if (at - this.lastBytesAt < ANCHOR_QUIET_MS) return;
    this.setStreamBase(ackOffset - this.streamBytes);
  }

  /** A replica ACKs only once it loaded the RDB: its transfer ended in bytes the capture lost, with its mark. The
   *  RDB is taken as ended at the last gap; where the stream starts is not known, so decoding resumes at the
   *  next command with the offsets of a later ACK. */
  private rdbEndLost(): void {
    this.rdbBytes = this.rdbBytesBeforeLoss!;
    this.rdbBytesBeforeLoss = null;
    this.held = Buffer.alloc(0);
    this.finishRdb(this.pos);
    this.loseFraming(false);
  }

  /** The replication offset before the first stream byte, learned from another link (Redis 8 rdb channel). */
  setStreamBase(offset: number): void {
    if (!this.pendingBase) {
      if (this.phase === 'reply') this.presetBase = offset; // learned before our own +RDBCHANNELSYNC was decoded
      return;
    }
    this.pendingBase = false;
    this.awaitingAnchor = false;
    this.streamBase = offset;
    const held = this.pending;
    this.pending = [];
    for (const p of held) {
      this.emit({ type: 'command', at: p.at, link: this.link, offset: offset + p.rel, db: p.db, argv: p.argv, bytes: p.bytes, ...(p.argBytes ? { argBytes: p.argBytes } : {}) });
    }
    this.state.masterOffset = offset + this.streamBytes;
  }

  /** The link closed: an RDB cut short still gets what the RDB decoder found so far; commands still waiting for
   *  an anchoring ACK come out with offsets counted from where decoding resumed. */
  end(at: number): void {
    this.at = at;
    this.endRdb();
    if (this.awaitingAnchor) this.setStreamBase(0);
  }

  private endRdb(): void {
    this.rdb?.end(this.at);
    this.rdb = null;
  }

  // ------------------------------------------------------------ lines (handshake replies, `$` line)

  private feedLine(chunk: Buffer, i: number): number {
    const nl = chunk.indexOf(LF, i);
    const stop = nl === -1 ? chunk.length : nl;
    if (stop > i) {
      this.line.push(chunk.subarray(i, stop));
      this.lineLen += stop - i;
    }
    if (this.lineLen > MAX_LINE_BYTES) {
      const start = this.pos + stop - this.lineLen;
      this.violation('RSPY_DECODE_LINE_TOO_LONG', start, `a reply line longer than ${MAX_LINE_BYTES} bytes starts here`, Buffer.concat(this.line).subarray(0, 32));
      return chunk.length;
    }
    if (nl === -1) return chunk.length;
    const raw = this.line.length === 1 ? this.line[0] : Buffer.concat(this.line);
    const linePos = this.pos + nl - raw.length;
    this.line = [];
    this.lineLen = 0;
    const text = (raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.subarray(0, raw.length - 1) : raw).toString('latin1');
    const next = nl + 1;
    this.lineEnd = this.pos + next;
    this.onLine(text, linePos, raw);
    return next;
  }

  private onLine(text: string, pos: number, raw: Buffer): void {
    const { link, at } = this;
    if (text === '') {
      this.state.masterKeepalives++;
      this.emit({ type: 'keepalive', at, link, from: 'master' });
      return;
    }
    const first = text[0];
    if (first !== '+' && first !== '-' && first !== '$') {
      this.violation('RSPY_DECODE_UNEXPECTED_REPLY', pos, `expected a reply line (+, - or $), got ${JSON.stringify(text.slice(0, 40))}`, raw);
      return;
    }
    if (this.phase === 'await-payload' && first === '+') {
      this.violation('RSPY_DECODE_UNEXPECTED_REPLY', pos, `expected the RDB '$' line after +FULLRESYNC, got ${JSON.stringify(text.slice(0, 40))}`, raw);
      return;
    }
    if (first === '$') {
      if (text.startsWith('$ENDOFF:')) return this.onEndOff(text, pos, raw);
      return this.onPayloadLine(text, pos, raw);
    }
    this.emit({ type: 'master-reply', at, link, reply: text, pos });
    if (first === '-') {
      // An error instead of the `$` line means the master aborted the sync; the replica will retry.
      if (this.phase === 'await-payload') this.phase = 'reply';
      return;
    }
    const [word, ...rest] = text.slice(1).split(' ');
    switch (word) {
      case 'FULLRESYNC': {
        const offset = Number(rest[1]);
        if (!rest[0] || !Number.isSafeInteger(offset)) {
          return this.violation('RSPY_DECODE_BAD_FULLRESYNC', pos, `malformed ${JSON.stringify(text)}`, raw);
        }
        this.emit({ type: 'fullresync', at, link, replid: rest[0], offset });
        this.streamBase = offset;
        this.phase = 'await-payload';
        return;
      }
      case 'CONTINUE': {
        const asked = this.state.psyncOffset;
        const offset = asked !== null && asked > 0 ? asked : null;
        this.emit({ type: 'continue', at, link, replid: rest[0] ?? null, offset });
        this.state.syncAskedAt = null;
        this.startStream(offset === null ? null : offset - 1, this.lineEnd);
        return;
      }
      case 'RDBCHANNELSYNC':
        // Redis 8: the RDB comes on a second connection; this one gets the stream from the fork offset on.
        this.emit({ type: 'rdb-channel-sync', at, link, flavor: 'redis-rdb-channel', clientId: rest[0] ?? null });
        this.startStream(null, this.lineEnd);
        this.pendingBase = true;
        if (this.presetBase !== null) this.setStreamBase(this.presetBase);
        return;
      case 'DUALCHANNELSYNC':
        // Valkey 8: the handshake goes on here (set-rdb-client-id, PSYNC ... → +CONTINUE).
        this.emit({ type: 'rdb-channel-sync', at, link, flavor: 'valkey-dual-channel', clientId: null });
        return;
      default:
        return;
    }
  }

  private onEndOff(text: string, pos: number, raw: Buffer): void {
    // Valkey dual channel, RDB connection: $ENDOFF:<offset> <replid> <db> <client-id>
    const m = /^\$ENDOFF:(-?\d+) (\S+) (-?\d+) (\d+)$/.exec(text);
    if (!m) return this.violation('RSPY_DECODE_BAD_ENDOFF', pos, `malformed ${JSON.stringify(text)}`, raw);
    const offset = Number(m[1]);
    this.emit({ type: 'master-reply', at: this.at, link: this.link, reply: text, pos });
    this.emit({ type: 'endoff', at: this.at, link: this.link, offset, replid: m[2], db: Number(m[3]), clientId: m[4] });
    this.streamBase = offset;
    this.phase = 'await-payload';
  }

  private onPayloadLine(text: string, pos: number, raw: Buffer): void {
    let size: number | null = null;
    if (text.startsWith('$EOF:')) {
      const mark = text.slice(5);
      if (mark.length !== EOF_MARK_BYTES) {
        return this.violation('RSPY_DECODE_BAD_EOF_MARK', pos, `the EOF mark must be ${EOF_MARK_BYTES} bytes, got ${mark.length}`, raw);
      }
      this.rdbMode = 'diskless';
      this.finder = new EofMarkFinder(Buffer.from(mark, 'latin1'));
      this.phase = 'rdb-eof';
    } else {
      size = Number(text.slice(1));
      if (!/^\$\d+$/.test(text) || !Number.isSafeInteger(size)) {
        return this.violation('RSPY_DECODE_BAD_LENGTH', pos, `bad RDB length line ${JSON.stringify(text.slice(0, 40))}`, raw);
      }
      this.rdbMode = 'disk';
      this.rdbRemaining = size;
      this.phase = 'rdb-sized';
    }
    const { at, link } = this;
    this.rdbSize = size;
    this.rdbBytes = 0;
    this.rdbStartAt = at;
    this.held = Buffer.alloc(0);
    const waitMs = this.state.syncAskedAt === null ? null : at - this.state.syncAskedAt;
    this.emit({ type: 'master-reply', at, link, reply: text, pos });
    this.emit({ type: 'rdb-start', at, link, mode: this.rdbMode, size, waitMs, keepalives: this.state.masterKeepalives });
    this.state.syncAskedAt = null;
    this.rdb = this.makeRdbSink ? this.makeRdbSink() : null;
    if (this.phase === 'rdb-sized' && size === 0) this.finishRdb(this.lineEnd);
  }

  // ------------------------------------------------------------ RDB payload

  private feedSized(chunk: Buffer, i: number): number {
    const take = Math.min(this.rdbRemaining, chunk.length - i);
    const before = this.rdbBytes;
    this.rdb?.feed(chunk.subarray(i, i + take), this.at);
    this.rdbRemaining -= take;
    this.rdbBytes += take;
    this.progress(before);
    if (this.rdbRemaining === 0) this.finishRdb(this.pos + i + take);
    return i + take;
  }

  private feedEofMarked(chunk: Buffer, i: number): number {
    const end = this.finder!.find(chunk, i, chunk.length);
    const before = this.rdbBytes;
    if (end === -1) {
      this.rdbBytes += chunk.length - i;
      if (this.rdb) this.holdBack(chunk.subarray(i));
      this.progress(before);
      return chunk.length;
    }
    // The mark ends at `end`; everything before the mark's first byte is payload.
    this.rdbBytes += end - i - EOF_MARK_BYTES;
    if (this.rdb) {
      const all = this.held.length + (end - i);
      const payloadInThisPart = all - EOF_MARK_BYTES; // bytes of held + chunk[i,end) that are payload
      if (payloadInThisPart > 0) {
        const fromHeld = Math.min(this.held.length, payloadInThisPart);
        if (fromHeld > 0) this.rdb.feed(this.held.subarray(0, fromHeld), this.at);
        if (payloadInThisPart > fromHeld) this.rdb.feed(chunk.subarray(i, i + payloadInThisPart - fromHeld), this.at);
      }
      this.held = Buffer.alloc(0);
    }
    this.progress(before);
    this.finishRdb(this.pos + end);
    return end;
  }

  /** Keep the last 40 bytes back from the rdb sink: they may be the start of the EOF mark. */
  private holdBack(part: Buffer): void {
    const total = this.held.length + part.length;
    if (total <= EOF_MARK_BYTES) {
      this.held = Buffer.concat([this.held, part]);
      return;
    }
    const release = total - EOF_MARK_BYTES;
    const fromHeld = Math.min(this.held.length, release);
    if (fromHeld > 0) this.rdb!.feed(this.held.subarray(0, fromHeld), this.at);
    const fromPart = release - fromHeld;
    if (fromPart > 0) this.rdb!.feed(part.subarray(0, fromPart), this.at);
    this.held = Buffer.concat([this.held.subarray(fromHeld), part.subarray(fromPart)]);
  }

  private progress(before: number): void {
    if (Math.floor(before / RDB_PROGRESS_STEP) !== Math.floor(this.rdbBytes / RDB_PROGRESS_STEP)) {
      this.emit({ type: 'rdb-progress', at: this.at, link: this.link, bytes: this.rdbBytes, size: this.rdbSize });
    }
  }

  /** The RDB ended just before stream position `end`. */
  private finishRdb(end: number): void {
    const { at, link } = this;
    const durationMs = at - this.rdbStartAt;
    this.rdbBytesBeforeLoss = null;
    this.endRdb();
    this.emit({ type: 'rdb-end', at, link, bytes: this.rdbBytes, durationMs, bytesPerSec: durationMs > 0 ? Math.round((this.rdbBytes * 1000) / durationMs) : null });
    this.state.rdbEndAt = at;
    this.startStream(this.streamBase, end);
  }

  // ------------------------------------------------------------ command stream

  /** The command stream starts at stream position `pos`; `base` is the offset before its first byte. */
  private startStream(base: number | null, pos: number): void {
    this.phase = 'commands';
    this.boundaryPos = pos;
    this.streamBase = base;
    this.streamBytes = 0;
    this.state.masterOffset = base;
  }

  /** Called by the repl-stream-db aux field of the snapshot: the db in force when no SELECT came. */
  setStartDb(db: number): void {
    if (this.db === null) this.db = db;
  }

  private feedCommands(chunk: Buffer, i: number): number {
    if (this.streamBase !== null) this.state.markSent(this.streamBase + this.streamBytes + 1, this.at);
    this.framer.pos = this.pos + i;
    this.framer.feed(chunk, i, chunk.length);
    if (this.retryAt !== null) {
      const next = this.retryAt - this.pos;
      this.commandStart!.skipped += this.retryAt - this.recovering!.pos;
      this.retryAt = null;
      this.recovering = null;
      this.phase = 'resync';
      return next;
    }
    if (this.framer.dead && this.phase === 'commands') this.phase = 'opaque';
    return chunk.length;
  }

  private feedResync(chunk: Buffer, i: number): number {
    const found = this.commandStart!.find(chunk, i, chunk.length);
    if (!found) return chunk.length;
    const pos = this.pos + found.next - found.prefix.length;
    if (this.boundaryPos !== null) this.streamBytes += pos - this.boundaryPos;
    this.boundaryPos = pos;
    this.recovering = { pos };
    this.phase = 'commands';
    this.framer = this.newFramer();
    this.framer.pos = pos;
    if (found.prefix.length > 0) this.framer.feed(found.prefix);
    return found.next;
  }

  private onCommand(argv: Buffer[], bytes: number, argBytes: number[] | undefined): void {
    if (this.recovering) {
      this.emit({ type: 'resync', at: this.at, link: this.link, from: 'master', pos: this.recovering.pos, skipped: this.commandStart!.skipped });
      this.recovering = null;
      this.commandStart = null;
    }
    this.boundaryPos = this.framer.pos;
    this.streamBytes += bytes;
    if (argv.length === 2 && isSelect(argv[0])) {
      const db = Number(argv[1].toString('latin1'));
      if (Number.isSafeInteger(db)) this.db = db;
    }
    const { at, link, db } = this;
    if (this.pendingBase) {
      if (this.pending.length < MAX_PENDING_COMMANDS) {
        this.pending.push({ argv: argv.map((a) => Buffer.from(a)), bytes, argBytes, at, rel: this.streamBytes, db });
        return;
      }
      this.setStreamBase(0); // never learned the base: fall back to offsets counted from the stream start
    }
    const offset = (this.streamBase ?? 0) + this.streamBytes;
    if (this.streamBase !== null) this.state.masterOffset = offset;
    this.emit(argBytes ? { type: 'command', at, link, offset, db, argv, bytes, argBytes } : { type: 'command', at, link, offset, db, argv, bytes });
  }

  private onInline(line: Buffer, bytes: number): void {
    this.boundaryPos = this.framer.pos;
    if (line.length === 0) {
      // Not expected once streaming, but harmless: a keepalive outside the offset.
      this.emit({ type: 'keepalive', at: this.at, link: this.link, from: 'master' });
      return;
    }
    this.violation('RSPY_DECODE_INLINE_FROM_MASTER', this.framer.pos - bytes, 'the master sent an inline line in the command stream', line);
  }

  private violation(code: string, pos: number, message: string, excerpt: Buffer | null): void {
    // one violation per direction: the rest of the chunk being framed is not looked at either
    this.phase = 'opaque';
    this.framer.stop();
    this.endRdb();
    this.emit({ type: 'protocol-violation', at: this.at, link: this.link, from: 'master', code, pos, message, excerptHex: excerpt ? excerptHex(excerpt) : '' });
  }
}

/** Case-insensitive "SELECT" without allocating a string. */
function isSelect(b: Buffer): boolean {
  return (
    b.length === 6 &&
    (b[0] | 0x20) === 0x73 &&
    (b[1] | 0x20) === 0x65 &&
    (b[2] | 0x20) === 0x6c &&
    (b[3] | 0x20) === 0x65 &&
    (b[4] | 0x20) === 0x63 &&
    (b[5] | 0x20) === 0x74
  );
}
