// Decoder of the master→replica direction of one link: handshake reply lines, the PSYNC answer, newline
// keepalives, the RDB payload (`$<len>` or `$EOF:<mark>`), then the propagated command stream with offsets.
// src/resp frames the bytes (positions, the payload's end, resuming after a gap); this file says what each segment
// means in the phase the link is in. Pure: bytes and a timestamp in, events out. Protocol: protocol.md §3, §4, §6.

import type { CommandEvent, ReplSink, ViolationCode } from '../core/events.js';
import { setSlot } from '../core/command-slot.js';
import { RespFramer, type FramingError } from '../resp/framer.js';
import { commandExcerptHex, excerptHex, lineExcerptHex } from './excerpt.js';
import type { LinkState } from './link-state.js';

const RDB_PROGRESS_STEP = 1024 * 1024;
/** Commands held while the start offset of a Redis 8 main channel is not yet known (see setStreamBase). */
const MAX_PENDING_COMMANDS = 100_000;
/** After a mid-stream join, a replica ACK gives the offset only when no master byte came for this long before it
 *  (the replica has then applied everything it was sent). */
export const ANCHOR_QUIET_MS = 100;

/** 'opaque': after a violation, bytes are only counted. */
export type MasterPhase = 'reply' | 'await-payload' | 'rdb' | 'commands' | 'opaque';

/** What the RDB payload is handed to (the streaming RDB decoder), if anyone listens. */
export interface RdbSink {
  feed(chunk: Buffer, at: number): void;
  end(at: number): void;
}

interface PendingCommand {
  argv: Buffer[];
  argBytes?: number[];
  at: number;
  db: number | null;
  pos: number;
  end: number;
  /** stream bytes up to its end */
  rel: number;
}

export class MasterStream {
  phase: MasterPhase = 'reply';
  db: number | null = null;
  private at = 0;
  private readonly framer: RespFramer;
  // payload
  private rdbSize: number | null = null;
  private rdbPos = 0; // where its body starts
  private rdbStartAt = 0;
  private nextProgress = RDB_PROGRESS_STEP; // body bytes at which the next rdb-progress is due
  /** diskless: the body up to the end of its last gap (its mark may have been in a gap) */
  private rdbEndIfLost: number | null = null;
  private rdb: RdbSink | null = null;
  // stream
  private streamStart: number | null = 0; // position of the first stream byte (null: the next command found)
  private streamBase: number | null = null; // offset before the first stream byte
  private lastEnd = 0; // end of the last command
  private pending: PendingCommand[] = [];
  private pendingBase = false; // waiting for setStreamBase
  private presetBase: number | null = null;
  /** joined mid-stream: offsets wait for a replica ACK (see anchor) */
  private awaitingAnchor = false;
  private lastBytesAt = -Infinity;

  constructor(
    private readonly link: number,
    private readonly state: LinkState,
    private readonly emit: ReplSink,
    private readonly makeRdbSink: (() => RdbSink) | null,
    keepArgBytes?: number,
  ) {
    this.framer = new RespFramer(
      'replication',
      {
        command: (argv, start, end, argBytes) => this.onCommand(argv, start, end, argBytes),
        reply: (line, start, end) => this.onReply(line, start, end),
        inline: (line, start, end) => this.onInline(line, start, end),
        keepalive: (start, end) => this.onKeepalive(start, end),
        rdbStart: (size, mark, start, bodyStart) => this.onRdbStart(size, mark, start, bodyStart),
        rdbBody: (part, pos) => this.onRdbBody(part, pos),
        rdbEnd: (bodyEnd, end) => this.finishRdb(bodyEnd - this.rdbPos, end),
        resync: (start, end, skipped) => this.onResync(start, end, skipped),
        error: (e) => this.framingError(e),
      },
      { keepArgBytes },
    );
  }

  /** Byte position in this direction: the bytes fed and the gaps. */
  get pos(): number {
    return this.framer.pos;
  }

  feed(chunk: Buffer, at: number): void {
    this.at = at;
    this.markSent();
    this.framer.feed(chunk);
    this.lastBytesAt = at;
  }

  /** Bytes that crossed the wire but are not available (a capture gap, bytes missing from a packet capture). In
   *  an RDB body they are skipped. Elsewhere the framing is lost: decoding resumes at the next command, with
   *  exact offsets when the gap is in the command stream, else (the stream's start is not known) with the
   *  offsets a replica ACK gives (see anchor). */
  gap(bytes: number, at: number, reason: string): void {
    this.at = at;
    if (this.phase === 'rdb') this.rdbNotAvailable(bytes, reason);
    const lost = this.framer.gap(bytes); // may end a sized RDB (the stream starts right after it: offsets stay exact)
    if (this.phase === 'rdb') {
      const body = this.framer.pos - this.rdbPos;
      if (this.rdbSize === null) this.rdbEndIfLost = body;
      this.progress(body);
    }
    if (lost) this.loseFraming(this.phase === 'commands');
  }

  /** `streamStartKnown`: the framing was lost in the command stream, whose offsets then stay exact. */
  private loseFraming(streamStartKnown: boolean): void {
    if (streamStartKnown) return;
    // the handshake or the `$` line is lost: where the stream starts, and so its offsets, is not known
    this.startStream(null, null);
    this.pendingBase = true;
    this.awaitingAnchor = true;
  }

  /** The RDB decoder cannot go on without these bytes; say why rather than report a truncated file. */
  private rdbNotAvailable(bytes: number, reason: string): void {
    if (!this.rdb) return;
    this.rdb = null;
    const missing = this.rdbSize === null ? bytes : Math.min(bytes, this.rdbSize - (this.framer.pos - this.rdbPos));
    this.emit({ type: 'rdb-info', at: this.at, link: this.link, phase: 'error', info: { code: 'RSPY_RDB_NOT_AVAILABLE', message: `${missing} bytes of the RDB body are not available (${reason}); the snapshot was not analysed` } });
  }

  /** A replica ACK after a mid-stream join: while the master sent nothing for ANCHOR_QUIET_MS, the replica has
   *  applied every command sent so far, so the offset after the last one is `ackOffset`. The commands held until
   *  then get their offsets. */
  anchor(ackOffset: number, at: number): void {
    this.at = at;
    if (this.phase === 'rdb' && this.rdbEndIfLost !== null) return this.rdbEndLost(this.rdbEndIfLost);
    if (!this.awaitingAnchor || this.phase !== 'commands' || this.streamStart === null || !this.framer.atBoundary) return;
    if (at - this.lastBytesAt < ANCHOR_QUIET_MS) return;
    this.setStreamBase(ackOffset - this.streamBytes());
  }

  /** A replica ACKs only once it loaded the RDB: its transfer ended in bytes the capture lost, with its mark. The
   *  RDB is taken as ended at the last gap; where the stream starts is not known, so decoding resumes at the
   *  next command with the offsets of a later ACK. */
  private rdbEndLost(bytes: number): void {
    this.endTransfer(bytes, this.rdbPos + bytes);
    this.framer.resync();
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
    for (const p of held) this.emitCommand(p.argv, p.argBytes, p.at, p.db, p.pos, p.end, offset + p.rel);
    this.state.masterOffset = offset + this.streamBytes();
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

  private onKeepalive(pos: number, end: number): void {
    // In the stream it is not expected, but harmless: a keepalive outside the offset.
    if (this.phase !== 'commands') this.state.masterKeepalives++;
    this.emit({ type: 'keepalive', at: this.at, link: this.link, from: 'master', pos, end });
  }

  private onInline(line: Buffer, pos: number, end: number): void {
    if (this.phase === 'commands') return this.violation('RSPY_DECODE_INLINE_FROM_MASTER', pos, end, 'the master sent an inline line in the command stream', lineExcerptHex(line, pos, end));
    this.unexpected(`expected a reply line (+, - or $), got ${JSON.stringify(line.toString('latin1', 0, 40))}`, line, pos, end);
  }

  private unexpected(message: string, line: Buffer, pos: number, end: number): void {
    this.violation('RSPY_DECODE_UNEXPECTED_REPLY', pos, end, message, lineExcerptHex(line, pos, end));
  }

  private onReply(line: Buffer, pos: number, end: number): void {
    const text = line.toString('latin1');
    if (this.phase === 'commands') return this.onInline(line, pos, end);
    const first = text[0];
    if (first !== '+' && first !== '-' && first !== '$') return this.onInline(line, pos, end);
    if (this.phase === 'await-payload' && first === '+') {
      return this.unexpected(`expected the RDB '$' line after +FULLRESYNC, got ${JSON.stringify(text.slice(0, 40))}`, line, pos, end);
    }
    if (first === '$') return this.onEndOff(text, line, pos, end);
    const { link, at } = this;
    this.emit({ type: 'master-reply', at, link, reply: text, pos, end });
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
          return this.violation('RSPY_DECODE_BAD_FULLRESYNC', pos, end, `malformed ${JSON.stringify(text)}`, lineExcerptHex(line, pos, end));
        }
        this.emit({ type: 'fullresync', at, link, replid: rest[0], offset, pos, end });
        this.streamBase = offset;
        this.phase = 'await-payload';
        return;
      }
      case 'CONTINUE': {
        const asked = this.state.psyncOffset;
        const offset = asked !== null && asked > 0 ? asked : null;
        this.emit({ type: 'continue', at, link, replid: rest[0] ?? null, offset, pos, end });
        this.state.syncAskedAt = null;
        this.startStream(offset === null ? null : offset - 1, end);
        return;
      }
      case 'RDBCHANNELSYNC':
        // Redis 8: the RDB comes on a second connection; this one gets the stream from the fork offset on.
        this.emit({ type: 'rdb-channel-sync', at, link, flavor: 'redis-rdb-channel', clientId: rest[0] ?? null, pos, end });
        this.startStream(null, end);
        this.pendingBase = true;
        if (this.presetBase !== null) this.setStreamBase(this.presetBase);
        return;
      case 'DUALCHANNELSYNC':
        // Valkey 8: the handshake goes on here (set-rdb-client-id, PSYNC ... → +CONTINUE).
        this.emit({ type: 'rdb-channel-sync', at, link, flavor: 'valkey-dual-channel', clientId: null, pos, end });
        return;
      default:
        return;
    }
  }

  /** Valkey dual channel, RDB connection: $ENDOFF:<offset> <replid> <db> <client-id>. */
  private onEndOff(text: string, line: Buffer, pos: number, end: number): void {
    const m = /^\$ENDOFF:(-?\d+) (\S+) (-?\d+) (\d+)$/.exec(text);
    if (!m) return this.violation('RSPY_DECODE_BAD_ENDOFF', pos, end, `malformed ${JSON.stringify(text)}`, lineExcerptHex(line, pos, end));
    const offset = Number(m[1]);
    this.emit({ type: 'master-reply', at: this.at, link: this.link, reply: text, pos, end });
    this.emit({ type: 'endoff', at: this.at, link: this.link, offset, replid: m[2], db: Number(m[3]), clientId: m[4], pos, end });
    this.streamBase = offset;
    this.phase = 'await-payload';
  }

  private onRdbStart(size: number | null, markBytes: Buffer | null, pos: number, end: number): void {
    const mark = markBytes?.toString('latin1');
    const reply = mark === undefined ? `$${size}` : `$EOF:${mark}`;
    if (this.phase === 'commands') return this.violation('RSPY_DECODE_INLINE_FROM_MASTER', pos, end, 'the master sent an RDB payload line in the command stream', excerptHex(Buffer.from(reply, 'latin1')));
    const { at, link } = this;
    this.phase = 'rdb';
    this.rdbSize = size;
    this.rdbPos = end;
    this.nextProgress = RDB_PROGRESS_STEP;
    this.rdbStartAt = at;
    const waitMs = this.state.syncAskedAt === null ? null : at - this.state.syncAskedAt;
    this.emit({ type: 'master-reply', at, link, reply, pos, end });
    const mode = mark === undefined ? 'disk' : 'diskless';
    this.emit({ type: 'rdb-start', at, link, mode, size, waitMs, keepalives: this.state.masterKeepalives, pos, end, ...(mark === undefined ? {} : { mark }) });
    this.state.syncAskedAt = null;
    this.rdb = this.makeRdbSink ? this.makeRdbSink() : null;
  }

  // ------------------------------------------------------------ RDB payload

  private onRdbBody(part: Buffer, pos: number): void {
    this.rdb?.feed(part, this.at);
    this.progress(pos + part.length - this.rdbPos);
  }

  private progress(bytes: number): void {
    if (bytes < this.nextProgress) return;
    this.nextProgress = (Math.floor(bytes / RDB_PROGRESS_STEP) + 1) * RDB_PROGRESS_STEP;
    this.emit({ type: 'rdb-progress', at: this.at, link: this.link, bytes, size: this.rdbSize, pos: this.rdbPos, end: this.rdbPos + bytes });
  }

  /** The payload of `bytes` ended, and its segment at stream position `end`: the stream starts there. */
  private finishRdb(bytes: number, end: number): void {
    this.endTransfer(bytes, end);
    this.startStream(this.streamBase, end);
  }

  private endTransfer(bytes: number, end: number): void {
    const { at, link } = this;
    const durationMs = at - this.rdbStartAt;
    this.rdbEndIfLost = null;
    this.endRdb();
    this.emit({ type: 'rdb-end', at, link, bytes, durationMs, bytesPerSec: durationMs > 0 ? Math.round((bytes * 1000) / durationMs) : null, pos: this.rdbPos, end });
    this.state.rdbEndAt = at;
  }

  // ------------------------------------------------------------ command stream

  /** The command stream starts at position `start` (null: at the next command found); `base` is the offset
   *  before its first byte. */
  private startStream(base: number | null, start: number | null): void {
    this.phase = 'commands';
    this.streamStart = start;
    this.lastEnd = start ?? 0;
    this.streamBase = base;
    this.state.masterOffset = base;
    this.markSent();
  }

  /** Stream bytes up to the end of the last command. */
  private streamBytes(): number {
    return this.streamStart === null ? 0 : this.lastEnd - this.streamStart;
  }

  /** Stream bytes after the last complete command go out now (for the lag in ms). */
  private markSent(): void {
    if (this.phase === 'commands' && this.streamBase !== null && !this.framer.hunting) this.state.markSent(this.streamBase + this.streamBytes() + 1, this.at);
  }

  /** Called by the repl-stream-db aux field of the snapshot: the db in force when no SELECT came. */
  setStartDb(db: number): void {
    if (this.db === null) this.db = db;
  }

  private onResync(pos: number, end: number, skipped: number): void {
    this.emit({ type: 'resync', at: this.at, link: this.link, from: 'master', pos, end, skipped });
    if (this.streamStart === null) this.streamStart = pos; // offsets count from here until an ACK anchors them
    if (this.streamBase !== null) this.state.markSent(this.streamBase + pos - this.streamStart + 1, this.at);
  }

  private onCommand(argv: Buffer[], pos: number, end: number, argBytes: number[] | undefined): void {
    if (this.phase !== 'commands') {
      return this.violation('RSPY_DECODE_UNEXPECTED_REPLY', pos, end, `expected a reply line (+, - or $), got a command`, commandExcerptHex(argv));
    }
    this.lastEnd = end;
    if (argv.length === 2 && isSelect(argv[0])) {
      const db = Number(argv[1].toString('latin1'));
      if (Number.isSafeInteger(db)) this.db = db;
    }
    const rel = this.streamBytes();
    if (this.pendingBase) {
      if (this.pending.length < MAX_PENDING_COMMANDS) {
        this.pending.push({ argv: argv.map((a) => Buffer.from(a)), argBytes, at: this.at, db: this.db, pos, end, rel });
        return;
      }
      this.setStreamBase(0); // never learned the base: fall back to offsets counted from the stream start
    }
    const offset = (this.streamBase ?? 0) + rel;
    if (this.streamBase !== null) this.state.masterOffset = offset;
    this.emitCommand(argv, argBytes, this.at, this.db, pos, end, offset);
  }

  private emitCommand(argv: Buffer[], argBytes: number[] | undefined, at: number, db: number | null, pos: number, end: number, offset: number): void {
    const { link } = this;
    const bytes = end - pos;
    const e: CommandEvent = argBytes ? { type: 'command', at, link, offset, db, argv, bytes, argBytes, pos, end } : { type: 'command', at, link, offset, db, argv, bytes, pos, end };
    setSlot(e, argv, argBytes);
    this.emit(e);
  }

  private framingError(e: FramingError): void {
    this.violation(e.code, e.pos, e.end, e.message, excerptHex(e.excerpt));
  }

  private violation(code: ViolationCode, pos: number, end: number, message: string, excerptHex: string): void {
    // one violation per direction: the rest of the chunk being framed is not looked at either
    this.phase = 'opaque';
    this.framer.stop();
    this.endRdb();
    this.emit({ type: 'protocol-violation', at: this.at, link: this.link, from: 'master', code, pos, end, message, excerptHex });
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
