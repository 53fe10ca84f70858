// A packet capture as the wire events of its replication links, the same events the live proxy produces, with
// the packets' times: the file is read (pcap-file), each frame taken to its TCP segment (tcp-segment), each
// connection and direction reassembled (tcp-reassembly), and each connection's first bytes tell whether it is a
// replication link and which side is the replica (link-detect). Until that is known, a connection's bytes are
// held (at most DETECT_HOLD_BYTES; older ones become a gap). Pure: bytes in, wire events out.
import type { From, GapReason, WireLinkSink } from '../core/events.js';
import { formatHostPort } from '../core/host-port.js';
import { LinkDetector, type Side, type Verdict } from './link-detect.js';
import { PcapFileReader, type Packet } from './pcap-file.js';
import { TcpDirection, type GapCause } from './tcp-reassembly.js';
import { decodeSegment, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type NotTcp, type TcpSegment } from './tcp-segment.js';

/** Bytes of a connection held while it is not known to be a replication link. */
export const DETECT_HOLD_BYTES = 1024 * 1024;

export const GAP_REASONS: Record<GapCause | 'mid-stream' | 'held', GapReason> = {
  'not-captured': 'not in the packet capture',
  'snap-length': 'cut by the snap length',
  'mid-stream': 'capture started mid-connection',
  held: 'not kept while looking for the replication handshake',
};

export interface PcapSourceOptions {
  /** only connections with one of these ports on one side */
  ports?: number[];
}

export interface PcapStats {
  packets: number;
  segments: number;
  skipped: Record<NotTcp | 'other-port', number>;
  connections: number;
  links: number;
  gapBytes: number;
  duplicateBytes: number;
}

interface Held {
  side: Side;
  at: number;
  data?: Buffer;
  gap?: number;
  cause?: GapCause;
}

class Connection {
  readonly dirs: [TcpDirection, TcpDirection];
  state: 'detecting' | 'link' | 'ignored' = 'detecting';
  link = 0;
  replica: Side = 0;
  client: Side | null = null;
  private detector: LinkDetector | null = null;
  private held: Held[] = [];
  private heldBytes = 0;
  private dropped: [number, number] = [0, 0];
  private finBy: Side | null = null;
  private fins = 0; // bit per side that sent a FIN
  private finAt = 0;
  done = false;

  constructor(
    private readonly source: PcapSource,
    readonly endpoints: [string, string],
    readonly firstAt: number,
  ) {
    this.dirs = [this.direction(0), this.direction(1)];
  }

  private direction(side: Side): TcpDirection {
    return new TcpDirection({
      data: (data, at) => this.onData(side, data, at),
      gap: (bytes, at, cause) => this.onGap(side, bytes, at, cause),
    });
  }

  segment(side: Side, seg: TcpSegment, at: number): void {
    const dir = this.dirs[side];
    const other: Side = side === 0 ? 1 : 0;
    const syn = (seg.flags & TCP_SYN) !== 0;
    if (syn) {
      dir.syn(seg.seq);
      if (seg.flags & TCP_ACK) {
        this.client ??= other;
        this.dirs[other].startAt(seg.ack); // the SYN-ACK acknowledges the client's SYN
      } else {
        this.client ??= side;
      }
    }
    const fin = (seg.flags & TCP_FIN) !== 0;
    if (fin) {
      this.finBy ??= side;
      this.finAt = at;
      this.fins |= 1 << side;
    }
    if (this.state === 'ignored') {
      // nothing is reassembled any more: only the end of the connection matters
      if (seg.flags & TCP_RST || this.fins === 3) this.done = true;
      return;
    }
    dir.segment(syn ? (seg.seq + 1) >>> 0 : seg.seq, seg.payload, seg.length, fin, at);
    if (seg.flags & TCP_ACK && !syn) this.dirs[other].acked(seg.ack, at);
    this.dirs[other].expire(at);
    if (seg.flags & TCP_RST) this.close(at, side, 'reset');
    else if (this.dirs[0].finished && this.dirs[1].finished) this.close(at, this.finBy ?? side, 'closed');
  }

  /** The capture ended: holes are given up, the link is closed (by the side whose FIN came first, if one did). */
  finish(at: number): void {
    if (this.done) return;
    if (this.finBy !== null) return this.close(this.finAt, this.finBy, 'closed');
    for (const d of this.dirs) d.flush(at);
    if (this.state === 'detecting') this.decide('not-replication');
    if (this.state === 'link') this.source.emit({ kind: 'close', link: this.link, at, by: 'proxy', reason: 'still open when the packet capture ended' });
    this.done = true;
  }

  /** Has any byte or FIN been seen (a new SYN on the same ports is then a new connection)? */
  get used(): boolean {
    return this.dirs[0].pos > 0 || this.dirs[1].pos > 0 || this.finBy !== null;
  }

  private close(at: number, by: Side, how: 'reset' | 'closed'): void {
    if (this.done) return;
    for (const d of this.dirs) d.flush(at);
    if (this.state === 'detecting') this.decide('not-replication');
    if (this.state === 'link') {
      const who = this.role(by);
      this.source.emit({ kind: 'close', link: this.link, at, by: who, reason: how === 'reset' ? `reset by the ${who}` : `closed by the ${who}` });
    }
    this.done = true;
  }

  private role(side: Side): From {
    return side === this.replica ? 'replica' : 'master';
  }

  private onData(side: Side, data: Buffer, at: number): void {
    if (this.state === 'link') {
      this.source.emit({ kind: 'bytes', link: this.link, at, from: this.role(side), chunk: data });
      return;
    }
    if (this.state === 'ignored') return;
    this.hold({ side, at, data: Buffer.from(data) });
    this.decide(this.detect().take(side, data));
  }

  private onGap(side: Side, bytes: number, at: number, cause: GapCause): void {
    this.source.gapBytes += bytes;
    if (this.state === 'link') {
      this.source.emit({ kind: 'gap', link: this.link, at, from: this.role(side), bytes, reason: GAP_REASONS[cause] });
      return;
    }
    if (this.state === 'ignored') return;
    this.hold({ side, at, gap: bytes, cause });
    this.detect().gap(side);
  }

  private detect(): LinkDetector {
    this.detector ??= new LinkDetector([this.dirs[0].fromStart, this.dirs[1].fromStart], this.client);
    return this.detector;
  }

  private hold(h: Held): void {
    this.held.push(h);
    this.heldBytes += h.data?.length ?? 0;
    while (this.heldBytes > DETECT_HOLD_BYTES) {
      const old = this.held.shift()!;
      this.heldBytes -= old.data?.length ?? 0;
      this.dropped[old.side] += old.data?.length ?? old.gap ?? 0;
    }
  }

  private decide(verdict: Verdict): void {
    if (verdict === null) return;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    this.detector = null;
    if (verdict === 'not-replication') {
      this.state = 'ignored';
      return;
    }
    this.state = 'link';
    this.replica = verdict.replica;
    this.link = this.source.newLink();
    const master: Side = this.replica === 0 ? 1 : 0;
    this.source.emit({ kind: 'open', link: this.link, at: this.firstAt, replica: this.endpoints[this.replica], master: this.endpoints[master] });
    for (const side of [this.replica, master]) {
      if (!this.dirs[side].fromStart || this.dropped[side] > 0) {
        const reason = GAP_REASONS[this.dirs[side].fromStart ? 'held' : 'mid-stream'];
        this.source.emit({ kind: 'gap', link: this.link, at: this.firstAt, from: this.role(side), bytes: this.dropped[side], reason });
      }
    }
    for (const h of held) {
      if (h.data) this.source.emit({ kind: 'bytes', link: this.link, at: h.at, from: this.role(h.side), chunk: h.data });
      else this.source.emit({ kind: 'gap', link: this.link, at: h.at, from: this.role(h.side), bytes: h.gap!, reason: GAP_REASONS[h.cause!] });
    }
  }
}

export class PcapSource {
  private readonly reader = new PcapFileReader((p) => this.packet(p));
  private readonly connections = new Map<string, Connection>();
  private readonly ports: Set<number> | null;
  private links = 0;
  private lastAt = 0;
  private segments = 0;
  private connectionsSeen = 0;
  private duplicateBytes = 0;
  private readonly skipped: PcapStats['skipped'] = { 'not-ip': 0, 'not-tcp': 0, fragment: 0, 'cut-header': 0, 'other-port': 0 };
  /** bytes missing from followed connections */
  gapBytes = 0;

  constructor(
    readonly emit: WireLinkSink,
    opts: PcapSourceOptions = {},
  ) {
    this.ports = opts.ports && opts.ports.length > 0 ? new Set(opts.ports) : null;
  }

  /** Throws a PcapError on bad input; every packet before it was taken. */
  feed(chunk: Buffer): void {
    this.reader.feed(chunk);
  }

  /** The input ended: throws a PcapError when it ends inside a record (call finish() either way). */
  end(): void {
    this.reader.end();
  }

  /** Gives up the holes of every connection still open and closes its link, at the time of the last packet. */
  finish(): void {
    for (const c of this.connections.values()) c.finish(this.lastAt);
    this.connections.clear();
  }

  /** Capture time of the last packet (0 before any). */
  get at(): number {
    return this.lastAt;
  }

  get format(): string | null {
    return this.reader.format;
  }

  stats(): PcapStats {
    const { segments, links, gapBytes, duplicateBytes } = this;
    return { packets: this.reader.packets, segments, skipped: { ...this.skipped }, connections: this.connectionsSeen, links, gapBytes, duplicateBytes };
  }

  newLink(): number {
    return ++this.links;
  }

  private packet(p: Packet): void {
    this.lastAt = p.at;
    const seg = decodeSegment(p.linkType, p.data, p.origLen);
    if (typeof seg === 'string') {
      this.skipped[seg]++;
      return;
    }
    if (this.ports && !this.ports.has(seg.srcPort) && !this.ports.has(seg.dstPort)) {
      this.skipped['other-port']++;
      return;
    }
    this.segments++;
    const from = formatHostPort(seg.srcIp, seg.srcPort);
    const to = formatHostPort(seg.dstIp, seg.dstPort);
    const side: Side = from < to ? 0 : 1;
    const key = side === 0 ? `${from} ${to}` : `${to} ${from}`;
    let c = this.connections.get(key);
    const syn = (seg.flags & TCP_SYN) !== 0;
    if (c && syn && !(seg.flags & TCP_ACK) && c.used && c.dirs[side].isn !== seg.seq) {
      // the ports were reused by a new connection (the same SYN again is a copy: a retransmission, another interface)
      c.finish(p.at);
      this.connections.delete(key);
      c = undefined;
    }
    if (!c) {
      if (!syn && seg.length === 0) return; // a bare ACK, FIN or RST of a connection not followed
      c = new Connection(this, side === 0 ? [from, to] : [to, from], p.at);
      this.connections.set(key, c);
      this.connectionsSeen++;
    }
    const before = c.dirs[side].duplicateBytes;
    c.segment(side, seg, p.at);
    this.duplicateBytes += c.dirs[side].duplicateBytes - before;
    if (c.done) this.connections.delete(key);
  }
}
