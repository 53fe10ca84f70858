// Writes the links of a capture as a classic pcap file (raw IP link type, microsecond times) for Wireshark and
// tshark: every link is one TCP connection from the replica to the master with a three-way handshake, segments
// of at most MAX_SEGMENT_BYTES with correct sequence and acknowledgement numbers and checksums at the recorded
// times, and a FIN from the side that closed it. Bytes missing from the capture (a gap) leave a hole in the
// sequence numbers, as a lossy packet capture would. "Follow TCP stream" gives back exactly the recorded bytes.
// Pure: wire events in, file bytes out (as [headers, payload] so the payload is never copied).
import type { From, WireEvent } from '../core/events.js';
import { parseHostPort } from '../core/host-port.js';
import { parseIp } from './ip-address.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from './tcp-segment.js';

export const LINKTYPE_RAW = 101;
/** TCP payload per segment: an IPv4 packet of at most 65535 bytes with 20-byte IP and TCP headers. */
export const MAX_SEGMENT_BYTES = 65_535 - 20 - 20;
const SNAP_LEN = 262_144;
/** Documentation addresses (RFC 5737, RFC 3849) for a master given by host name. */
const STAND_IN = { 4: '192.0.2.1', 6: '2001:db8::1' } as const;

export type PcapOutput = (parts: Buffer[]) => void;

interface Endpoint {
  ip: Buffer;
  port: number;
}

interface Conn {
  replica: Endpoint;
  master: Endpoint;
  /** next sequence number of each side */
  next: Record<From, number>;
  closed: boolean;
}

export function pcapFileHeader(): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(SNAP_LEN, 16);
  h.writeUInt32LE(LINKTYPE_RAW, 20);
  return h;
}

export class PcapExporter {
  private readonly conns = new Map<number, Conn>();
  private ipId = 0;
  /** what could not be written as recorded (a master given by name, mixed address families) */
  readonly notes: string[] = [];

  constructor(private readonly out: PcapOutput) {}

  wire(e: WireEvent): void {
    switch (e.kind) {
      case 'open':
        return this.open(e.link, e.at, e.replica, e.master);
      case 'bytes': {
        const c = this.conns.get(e.link);
        if (!c || c.closed) return;
        for (let o = 0; o < e.chunk.length; o += MAX_SEGMENT_BYTES) {
          this.segment(c, e.from, e.at, TCP_PSH | TCP_ACK, e.chunk.subarray(o, o + MAX_SEGMENT_BYTES));
        }
        return;
      }
      case 'gap': {
        const c = this.conns.get(e.link);
        if (c) c.next[e.from] = (c.next[e.from] + e.bytes) >>> 0;
        return;
      }
      case 'close': {
        const c = this.conns.get(e.link);
        if (c) this.close(c, e.at, e.by === 'replica' ? 'replica' : 'master');
        this.conns.delete(e.link);
        return;
      }
      default:
        return; // faults are no packets
    }
  }

  /** Closes every connection still open (a capture that was cut). */
  end(at: number): void {
    for (const c of this.conns.values()) this.close(c, at, 'master');
    this.conns.clear();
  }

  private open(link: number, at: number, replicaText: string, masterText: string): void {
    const replica = this.endpoint(replicaText, null, `link ${link}: the replica`);
    const master = this.endpoint(masterText, replica.ip.length === 4 ? 4 : 6, `link ${link}: the master`);
    const isn = { replica: Math.imul(link, 0x9e3779b1) >>> 0, master: Math.imul(link, 0x85ebca6b) >>> 0 };
    const c: Conn = { replica, master, next: isn, closed: false };
    this.conns.set(link, c);
    this.segment(c, 'replica', at, TCP_SYN, EMPTY);
    c.next.replica = (c.next.replica + 1) >>> 0;
    this.segment(c, 'master', at, TCP_SYN | TCP_ACK, EMPTY);
    c.next.master = (c.next.master + 1) >>> 0;
    this.segment(c, 'replica', at, TCP_ACK, EMPTY);
  }

  private close(c: Conn, at: number, first: From): void {
    if (c.closed) return;
    c.closed = true;
    const second: From = first === 'master' ? 'replica' : 'master';
    this.segment(c, first, at, TCP_FIN | TCP_ACK, EMPTY);
    c.next[first] = (c.next[first] + 1) >>> 0;
    this.segment(c, second, at, TCP_FIN | TCP_ACK, EMPTY);
    c.next[second] = (c.next[second] + 1) >>> 0;
    this.segment(c, first, at, TCP_ACK, EMPTY);
  }

  /** "ip:port" as an endpoint; a host name (or the other family) gets a documentation address, and a note. */
  private endpoint(text: string, family: 4 | 6 | null, who: string): Endpoint {
    let host = '';
    let port = 0;
    try {
      ({ host, port } = parseHostPort(text));
    } catch {
      this.notes.push(`${who} "${text}" is no host:port: written as port 0`);
    }
    let ip = parseIp(host);
    const want = family ?? (ip?.length === 16 ? 6 : 4);
    if (ip && ip.length === 4 && want === 6) ip = parseIp(`::ffff:${host}`);
    if (!ip || (ip.length === 16) !== (want === 6)) {
      const stand = STAND_IN[want];
      this.notes.push(`${who} "${text}" is not an IPv${want} address: written as ${stand}`);
      ip = parseIp(stand)!;
    }
    return { ip, port };
  }

  private segment(c: Conn, from: From, at: number, flags: number, payload: Buffer): void {
    const to: From = from === 'master' ? 'replica' : 'master';
    const src = c[from];
    const dst = c[to];
    const v6 = src.ip.length === 16;
    const ipBytes = v6 ? 40 : 20;
    const head = Buffer.alloc(16 + ipBytes + 20);
    const packetBytes = ipBytes + 20 + payload.length;
    // pcap record header
    const sec = Math.floor(at / 1000);
    const usec = Math.min(999_999, Math.round((at - sec * 1000) * 1000));
    head.writeUInt32LE(sec >>> 0, 0);
    head.writeUInt32LE(usec, 4);
    head.writeUInt32LE(packetBytes, 8);
    head.writeUInt32LE(packetBytes, 12);
    const ip = 16;
    if (v6) {
      head.writeUInt32BE(0x60000000, ip);
      head.writeUInt16BE(20 + payload.length, ip + 4);
      head[ip + 6] = 6;
      head[ip + 7] = 64;
      src.ip.copy(head, ip + 8);
      dst.ip.copy(head, ip + 24);
    } else {
      head[ip] = 0x45;
      head.writeUInt16BE(packetBytes, ip + 2);
      head.writeUInt16BE((this.ipId = (this.ipId + 1) & 0xffff), ip + 4);
      head.writeUInt16BE(0x4000, ip + 6); // don't fragment
      head[ip + 8] = 64;
      head[ip + 9] = 6;
      src.ip.copy(head, ip + 12);
      dst.ip.copy(head, ip + 16);
      head.writeUInt16BE(checksum(head, ip, ip + 20, 0), ip + 10);
    }
    const tcp = ip + ipBytes;
    head.writeUInt16BE(src.port, tcp);
    head.writeUInt16BE(dst.port, tcp + 2);
    head.writeUInt32BE(c.next[from], tcp + 4);
    head.writeUInt32BE(flags & TCP_ACK ? c.next[to] : 0, tcp + 8);
    head[tcp + 12] = 0x50; // 20-byte header
    head[tcp + 13] = flags;
    head.writeUInt16BE(0xffff, tcp + 14);
    // the checksum covers a pseudo header (addresses, protocol, length), the TCP header and the payload
    let sum = sumWords(src.ip, 0, src.ip.length, 0);
    sum = sumWords(dst.ip, 0, dst.ip.length, sum);
    sum += 6 + 20 + payload.length;
    sum = sumWords(head, tcp, tcp + 20, sum);
    head.writeUInt16BE(checksum(payload, 0, payload.length, sum), tcp + 16);
    c.next[from] = (c.next[from] + payload.length) >>> 0;
    this.out(payload.length > 0 ? [head, payload] : [head]);
  }
}

const EMPTY = Buffer.alloc(0);

/** Adds b[from, to) as big-endian 16-bit words (an odd last byte padded with zero). */
function sumWords(b: Buffer, from: number, to: number, sum: number): number {
  let s = sum;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < to) s += b[i]! << 8;
  // fold now and then so the sum stays an exact integer
  return (s & 0xffff) + Math.floor(s / 0x10000);
}

/** The Internet checksum of b[from, to) on top of `sum`. */
function checksum(b: Buffer, from: number, to: number, sum: number): number {
  let s = sumWords(b, from, to, sum);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}
