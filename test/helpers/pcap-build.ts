// Hand-built packets and capture files for the packet capture tests: TCP segments in IPv4 or IPv6, wrapped in
// any of the link-layer headers the reader knows, in classic pcap or pcapng (either byte order). Independent of
// the code under test (the pcap writer has its own tests), so the two cannot agree on a mistake.
import { parseIp } from '../../src/pcap/ip-address.js';

export interface SegmentSpec {
  src: string; // "ip:port" or "[v6]:port"
  dst: string;
  seq: number;
  ack?: number;
  /** 'S' SYN, 'A' ACK, 'F' FIN, 'R' RST, 'P' PSH */
  flags?: string;
  payload?: Buffer | string;
  /** IPv4 options (a multiple of 4 bytes) or IPv6 extension headers (hop-by-hop) to put before TCP */
  ipExtra?: boolean;
  /** IPv4 fragment offset / more-fragments */
  fragment?: boolean;
  /** capture time (conversation() sets it; ipPacket ignores it) */
  at?: number;
}

function endpoint(text: string): { ip: Buffer; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text)!;
  return { ip: parseIp(m[1]!)!, port: Number(m[2]) };
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10 };

/** An IP packet carrying one TCP segment. */
export function ipPacket(s: SegmentSpec): Buffer {
  const src = endpoint(s.src);
  const dst = endpoint(s.dst);
  const payload = typeof s.payload === 'string' ? Buffer.from(s.payload, 'latin1') : (s.payload ?? Buffer.alloc(0));
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(src.port, 0);
  tcp.writeUInt16BE(dst.port, 2);
  tcp.writeUInt32BE(s.seq >>> 0, 4);
  tcp.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
  tcp[12] = 0x50;
  tcp[13] = [...(s.flags ?? 'A')].reduce((n, f) => n | FLAG_BITS[f]!, 0);
  tcp.writeUInt16BE(65535, 14);
  if (src.ip.length === 4) {
    const options = s.ipExtra ? Buffer.from([0x01, 0x01, 0x01, 0x00]) : Buffer.alloc(0); // NOP NOP NOP EOL
    const ip = Buffer.alloc(20);
    ip[0] = 0x40 | ((20 + options.length) / 4);
    ip.writeUInt16BE(20 + options.length + 20 + payload.length, 2);
    ip.writeUInt16BE(s.fragment ? 0x2000 : 0x4000, 6);
    ip[8] = 64;
    ip[9] = 6;
    src.ip.copy(ip, 12);
    dst.ip.copy(ip, 16);
    return Buffer.concat([ip, options, tcp, payload]);
  }
  const ext = s.ipExtra ? Buffer.from([6, 0, 1, 4, 0, 0, 0, 0]) : Buffer.alloc(0); // hop-by-hop, then TCP
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(ext.length + 20 + payload.length, 4);
  ip[6] = s.fragment ? 44 : s.ipExtra ? 0 : 6;
  ip[7] = 64;
  src.ip.copy(ip, 8);
  dst.ip.copy(ip, 24);
  const frag = s.fragment ? Buffer.from([6, 0, 0, 1, 0, 0, 0, 1]) : Buffer.alloc(0);
  return Buffer.concat([ip, frag, ext, tcp, payload]);
}

export type LinkKind = 'ethernet' | 'ethernet-vlan' | 'ethernet-qinq' | 'sll' | 'sll2' | 'null-le' | 'null-be' | 'loop' | 'raw' | 'ipv4' | 'ipv6';

export const LINKTYPE: Record<LinkKind, number> = {
  ethernet: 1,
  'ethernet-vlan': 1,
  'ethernet-qinq': 1,
  sll: 113,
  sll2: 276,
  'null-le': 0,
  'null-be': 0,
  loop: 108,
  raw: 101,
  ipv4: 228,
  ipv6: 229,
};

/** The frame of an IP packet on a link of this kind (Ethernet frames padded to 60 bytes, as on the wire). */
export function frame(kind: LinkKind, ip: Buffer): Buffer {
  const v6 = ip[0]! >> 4 === 6;
  const ethertype = v6 ? 0x86dd : 0x0800;
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const u32le = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]);
  const macs = Buffer.alloc(12, 0x02);
  const pad = (f: Buffer) => (f.length < 60 ? Buffer.concat([f, Buffer.alloc(60 - f.length)]) : f);
  switch (kind) {
    case 'ethernet':
      return pad(Buffer.concat([macs, u16(ethertype), ip]));
    case 'ethernet-vlan':
      return pad(Buffer.concat([macs, u16(0x8100), u16(42), u16(ethertype), ip]));
    case 'ethernet-qinq':
      return pad(Buffer.concat([macs, u16(0x88a8), u16(7), u16(0x8100), u16(42), u16(ethertype), ip]));
    case 'sll': {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(0, 0); // to us
      h.writeUInt16BE(772, 2); // ARPHRD_LOOPBACK
      h.writeUInt16BE(6, 4);
      h.writeUInt16BE(ethertype, 14);
      return Buffer.concat([h, ip]);
    }
    case 'sll2': {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(ethertype, 0);
      h.writeUInt32BE(1, 4); // interface index
      h.writeUInt16BE(772, 8);
      h[11] = 6;
      return Buffer.concat([h, ip]);
    }
    case 'null-le':
      return Buffer.concat([u32le(v6 ? 30 : 2), ip]);
    case 'null-be':
    case 'loop':
      return Buffer.concat([Buffer.from([0, 0, 0, v6 ? 24 : 2]), ip]);
    default:
      return ip;
  }
}

export interface PacketRecord {
  at: number; // epoch ms
  data: Buffer;
  origLen?: number;
  iface?: number;
}

/** A classic pcap file. */
export function pcapFile(linkType: number, records: PacketRecord[], opts: { bigEndian?: boolean; nanos?: boolean; snapLen?: number } = {}): Buffer {
  const w = writer(opts.bigEndian ?? false);
  const parts = [w.u32(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4), w.u16(2), w.u16(4), w.u32(0), w.u32(0), w.u32(opts.snapLen ?? 262144), w.u32(linkType)];
  for (const r of records) {
    const sec = Math.floor(r.at / 1000);
    const frac = opts.nanos ? Math.round((r.at - sec * 1000) * 1e6) : Math.round((r.at - sec * 1000) * 1e3);
    parts.push(w.u32(sec), w.u32(frac), w.u32(r.data.length), w.u32(r.origLen ?? r.data.length), r.data);
  }
  return Buffer.concat(parts);
}

export interface NgInterface {
  linkType: number;
  /** if_tsresol: 6 (µs, the default), 9 (ns), or with the high bit a power of 2 */
  tsresol?: number;
  /** if_tsoffset, seconds */
  tsoffset?: number;
  snapLen?: number;
}

/** A pcapng file: sections of interfaces and packets (EPB; `simple` for SPB, `obsolete` for the old PB), with
 *  name-resolution and statistics blocks in between that the reader must skip. */
export function pcapngFile(sections: { interfaces: NgInterface[]; packets: (PacketRecord & { block?: 'epb' | 'simple' | 'obsolete' })[]; bigEndian?: boolean }[]): Buffer {
  const parts: Buffer[] = [];
  for (const section of sections) {
    const w = writer(section.bigEndian ?? false);
    const block = (type: number, body: Buffer) => {
      const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
      const len = 12 + padded.length;
      parts.push(w.u32(type), w.u32(len), padded, w.u32(len));
    };
    const option = (code: number, value: Buffer) => Buffer.concat([w.u16(code), w.u16(value.length), value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
    const endOfOptions = Buffer.concat([w.u16(0), w.u16(0)]);
    block(0x0a0d0d0a, Buffer.concat([w.u32(0x1a2b3c4d), w.u16(1), w.u16(0), Buffer.alloc(8, 0xff), option(4, Buffer.from('test')), endOfOptions]));
    for (const i of section.interfaces) {
      const opts: Buffer[] = [];
      if (i.tsresol !== undefined) opts.push(option(9, Buffer.from([i.tsresol])));
      if (i.tsoffset !== undefined) {
        const b = Buffer.alloc(8);
        if (section.bigEndian) b.writeBigInt64BE(BigInt(i.tsoffset));
        else b.writeBigInt64LE(BigInt(i.tsoffset));
        opts.push(option(14, b));
      }
      if (opts.length > 0) opts.push(endOfOptions);
      block(1, Buffer.concat([w.u16(i.linkType), w.u16(0), w.u32(i.snapLen ?? 0), ...opts]));
    }
    block(4, Buffer.concat([w.u16(0), w.u16(0)])); // an empty name resolution block
    section.packets.forEach((p, k) => {
      const iface = section.interfaces[p.iface ?? 0]!;
      const res = iface.tsresol ?? 6;
      const perSecond = res & 0x80 ? 2 ** (res & 0x7f) : 10 ** res;
      const ms = p.at - (iface.tsoffset ?? 0) * 1000;
      const perMs = perSecond / 1000;
      // whole milliseconds exactly (nanoseconds since 1970 pass 2^53), the fraction rounded
      const units = Number.isInteger(perMs)
        ? BigInt(Math.floor(ms)) * BigInt(perMs) + BigInt(Math.round((ms - Math.floor(ms)) * perMs))
        : BigInt(Math.round(ms * perMs));
      const hi = Number(units >> 32n);
      const lo = Number(units & 0xffffffffn);
      const origLen = p.origLen ?? p.data.length;
      if (p.block === 'simple') block(3, Buffer.concat([w.u32(origLen), p.data]));
      else if (p.block === 'obsolete') block(2, Buffer.concat([w.u16(p.iface ?? 0), w.u16(0), w.u32(hi), w.u32(lo), w.u32(p.data.length), w.u32(origLen), p.data]));
      else block(6, Buffer.concat([w.u32(p.iface ?? 0), w.u32(hi), w.u32(lo), w.u32(p.data.length), w.u32(origLen), p.data, option(1, Buffer.from(`packet ${k}`)), endOfOptions]));
      if (k === 0) block(5, Buffer.concat([w.u32(0), w.u32(0), w.u32(0)])); // interface statistics
    });
  }
  return Buffer.concat(parts);
}

function writer(bigEndian: boolean) {
  return {
    u16(n: number): Buffer {
      const b = Buffer.alloc(2);
      if (bigEndian) b.writeUInt16BE(n);
      else b.writeUInt16LE(n);
      return b;
    },
    u32(n: number): Buffer {
      const b = Buffer.alloc(4);
      if (bigEndian) b.writeUInt32BE(n >>> 0);
      else b.writeUInt32LE(n >>> 0);
      return b;
    },
  };
}

/** Segments of a TCP conversation: the handshake (at `openAt`), then each side's bytes in segments of at most
 *  `mss` (at the time of their step), then FINs (at `closeAt`). */
export function conversation(
  client: string,
  server: string,
  steps: { from: 'client' | 'server'; bytes: Buffer | string; at?: number }[],
  opts: { mss?: number; isn?: { client: number; server: number }; handshake?: boolean; close?: boolean; openAt?: number; closeAt?: number } = {},
): SegmentSpec[] {
  const mss = opts.mss ?? 1460;
  const next = { client: opts.isn?.client ?? 1000, server: opts.isn?.server ?? 5000 };
  const addr = { client, server };
  const other = (f: 'client' | 'server') => (f === 'client' ? 'server' : 'client');
  const out: SegmentSpec[] = [];
  let at = opts.openAt ?? 0;
  const seg = (from: 'client' | 'server', flags: string, payload: Buffer = Buffer.alloc(0)) => {
    out.push({ src: addr[from], dst: addr[other(from)], seq: next[from], ack: next[other(from)], flags, payload, at });
    next[from] = (next[from] + payload.length) >>> 0;
  };
  if (opts.handshake !== false) {
    out.push({ src: client, dst: server, seq: next.client, flags: 'S', at });
    next.client = (next.client + 1) >>> 0;
    out.push({ src: server, dst: client, seq: next.server, ack: next.client, flags: 'SA', at });
    next.server = (next.server + 1) >>> 0;
    seg('client', 'A');
  }
  for (const s of steps) {
    at = s.at ?? at;
    const bytes = typeof s.bytes === 'string' ? Buffer.from(s.bytes, 'latin1') : s.bytes;
    for (let o = 0; o < bytes.length; o += mss) seg(s.from, 'PA', bytes.subarray(o, o + mss));
  }
  if (opts.close !== false) {
    at = opts.closeAt ?? at;
    seg('client', 'FA');
    next.client = (next.client + 1) >>> 0;
    seg('server', 'FA');
    next.server = (next.server + 1) >>> 0;
    seg('client', 'A');
  }
  return out;
}
