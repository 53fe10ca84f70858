// Which TCP connections of a packet capture are replication links, and which side is the replica, from the
// bytes alone (no port needs to be known):
// - a direction seen from its first byte: a replica opens with PING / AUTH and then REPLCONF, PSYNC or SYNC
//   (protocol.md §2); a client that sends anything else first is no replica. A master answers PSYNC with
//   +FULLRESYNC, +CONTINUE, +RDBCHANNELSYNC or +DUALCHANNELSYNC, or $ENDOFF on a Valkey RDB channel.
// - a direction joined mid-stream: a replica sends REPLCONF ACK every second, a master may send REPLCONF GETACK,
//   and nothing else sends either. When both directions carried some kilobytes without one, it is no link.
// Pure: bytes of each direction in, a verdict out.
import { matchCommandStart, MAX_COMMAND_START_BYTES } from '../resp/command-start.js';

/** A direction of a connection: 0 is what its first endpoint sent, 1 what the other sent. */
export type Side = 0 | 1;
export type Verdict = { replica: Side } | 'not-replication' | null;

/** A replica's handshake fits in far fewer bytes; past this a direction seen from its start decides nothing. */
const HANDSHAKE_SCAN_BYTES = 64 * 1024;
/** Both directions of a link joined mid-stream carried this much without a REPLCONF ACK/GETACK: no link. */
const MID_STREAM_SCAN_BYTES = 16 * 1024;
const HANDSHAKE = new Set(['PING', 'AUTH']);
const REPLICA_COMMANDS = new Set(['REPLCONF', 'PSYNC', 'SYNC']);
const MASTER_ANSWER = /^(\+(FULLRESYNC|CONTINUE|RDBCHANNELSYNC|DUALCHANNELSYNC)\b|\$ENDOFF:)/;
const LF = 0x0a;
const CR = 0x0d;

interface SideScan {
  /** scanned from the direction's first byte (else: searching bytes joined mid-stream) */
  fromStart: boolean;
  /** bytes not yet scanned, after what was */
  buf: Buffer;
  /** bytes of this direction seen */
  seen: number;
  /** nothing more to learn from this direction */
  done: boolean;
}

export class LinkDetector {
  private readonly sides: [SideScan, SideScan];

  /** `fromStart`: which directions are seen from their first byte; `client`: the side that sent the SYN. */
  constructor(
    fromStart: [boolean, boolean],
    private readonly client: Side | null,
  ) {
    this.sides = [0, 1].map((k) => ({ fromStart: fromStart[k]!, buf: Buffer.alloc(0), seen: 0, done: false })) as [SideScan, SideScan];
  }

  take(side: Side, bytes: Buffer): Verdict {
    const s = this.sides[side];
    s.seen += bytes.length;
    if (s.done) return this.giveUp();
    s.buf = s.buf.length === 0 ? bytes : Buffer.concat([s.buf, bytes]);
    const verdict = s.fromStart ? this.scanFromStart(side, s) : this.scanMidStream(side, s);
    return verdict ?? this.giveUp();
  }

  /** Bytes of this direction are missing: what follows is scanned as joined mid-stream. */
  gap(side: Side): void {
    const s = this.sides[side];
    s.fromStart = false;
    s.buf = Buffer.alloc(0);
  }

  private giveUp(): Verdict {
    const [a, b] = this.sides;
    if (this.client !== null && this.sides[this.client].done && this.sides[this.client].fromStart) return 'not-replication';
    const quiet = (s: SideScan) => s.done || (!s.fromStart && s.seen >= MID_STREAM_SCAN_BYTES);
    return quiet(a) && quiet(b) ? 'not-replication' : null;
  }

  private scanFromStart(side: Side, s: SideScan): Verdict {
    let i = 0;
    const b = s.buf;
    for (;;) {
      while (i < b.length && (b[i] === LF || b[i] === CR)) i++; // newline keepalives
      if (i >= b.length) break;
      const c = b[i]!;
      if (c === 0x2a /* '*' */) {
        const cmd = readCommand(b, i);
        if (cmd === 'more') break;
        if (cmd === 'no') return this.stop(s);
        const verdict = this.onCommand(side, cmd.name.toUpperCase());
        if (verdict !== undefined) return verdict;
        i = cmd.end;
        continue;
      }
      const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
      if (!letter && c !== 0x2b && c !== 0x2d && c !== 0x24 && c !== 0x3a) return this.stop(s); // not RESP (TLS, ...)
      const nl = b.indexOf(LF, i);
      if (nl === -1) break;
      const line = b.toString('latin1', i, nl).replace(/\r$/, '');
      if (c === 0x2b /* + */ || c === 0x2d /* - */ || c === 0x24 /* $ */ || c === 0x3a /* : */) {
        if (MASTER_ANSWER.test(line)) return { replica: side === 0 ? 1 : 0 };
        if (c === 0x24 || c === 0x3a) return this.stop(s); // a bulk or integer reply: a client's server
      } else {
        const verdict = this.onCommand(side, line.split(' ')[0]!.toUpperCase()); // an inline command
        if (verdict !== undefined) return verdict;
      }
      i = nl + 1;
    }
    s.buf = b.subarray(i);
    if (s.seen > HANDSHAKE_SCAN_BYTES) return this.stop(s);
    return null;
  }

  /** A command a direction sent first: a verdict, or undefined to read on. */
  private onCommand(side: Side, name: string): Verdict | undefined {
    if (REPLICA_COMMANDS.has(name)) return { replica: side };
    if (HANDSHAKE.has(name)) return undefined;
    return side === this.client ? 'not-replication' : this.stop(this.sides[side]);
  }

  private scanMidStream(side: Side, s: SideScan): Verdict {
    const b = s.buf;
    let from = 0;
    for (;;) {
      const star = b.indexOf(0x2a, from);
      if (star === -1) break;
      const m = matchCommandStart(b, star);
      if (m === 'more') {
        s.buf = b.subarray(star);
        return null;
      }
      from = star + 1;
      if (m === 'no') continue;
      const name = m.name.toUpperCase();
      if (name === 'PSYNC' || name === 'SYNC') return { replica: side };
      if (name !== 'REPLCONF') continue;
      const sub = b.toString('latin1', m.next, Math.min(b.length, m.next + 12)).toUpperCase();
      if (sub.startsWith('$3\r\nACK\r\n')) return { replica: side };
      if (sub.startsWith('$6\r\nGETACK\r\n')) return { replica: side === 0 ? 1 : 0 };
      if (sub.length < 12 && ('$3\r\nACK\r\n'.startsWith(sub) || '$6\r\nGETACK\r\n'.startsWith(sub))) {
        s.buf = b.subarray(star);
        return null;
      }
    }
    // keep a tail a header may start in
    s.buf = b.subarray(Math.max(0, b.length - MAX_COMMAND_START_BYTES - 12));
    return null;
  }

  private stop(s: SideScan): null {
    s.done = true;
    s.buf = Buffer.alloc(0);
    return null;
  }
}

/** A whole RESP command at b[i]: its name and where it ends. */
function readCommand(b: Buffer, i: number): { name: string; end: number } | 'no' | 'more' {
  const head = matchCommandStart(b, i);
  if (head === 'no' || head === 'more') return head;
  let p = head.next;
  for (let a = 1; a < head.argc; a++) {
    if (p >= b.length) return 'more';
    if (b[p] !== 0x24) return 'no';
    const cr = b.indexOf(CR, p);
    if (cr === -1 || cr + 1 >= b.length) return cr === -1 && b.length - p > 20 ? 'no' : 'more';
    const len = Number(b.toString('latin1', p + 1, cr));
    if (!Number.isSafeInteger(len) || len < 0 || b[cr + 1] !== LF) return 'no';
    p = cr + 2 + len + 2;
    if (p > b.length) return 'more';
  }
  return { name: head.name, end: p };
}
