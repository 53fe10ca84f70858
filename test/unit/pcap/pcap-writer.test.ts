// The pcap writer: read back by the capture reader, every link is one TCP connection with its handshake and FINs,
// sequence and acknowledgement numbers that follow the bytes, valid IP and TCP checksums, segments of at most
// 64 KiB at the recorded times, and exactly the recorded bytes (a gap stays a gap).
import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../../src/core/events.js';
import { PcapFileReader } from '../../../src/pcap/pcap-file.js';
import { PcapSource } from '../../../src/pcap/pcap-source.js';
import { MAX_SEGMENT_BYTES, PcapExporter, pcapFileHeader } from '../../../src/pcap/pcap-writer.js';
import { decodeSegment, type TcpSegment } from '../../../src/pcap/tcp-segment.js';
import { resp } from '../../helpers/decode-case.js';

const T0 = 1_796_300_000_000.5;
const big = Buffer.alloc(200_000, 0x41);

function exportPcap(events: WireEvent[], endAt = T0 + 100): { file: Buffer; notes: string[] } {
  const parts: Buffer[] = [pcapFileHeader()];
  const w = new PcapExporter((p) => parts.push(...p.map((b) => Buffer.from(b))));
  for (const e of events) w.wire(e);
  w.end(endAt);
  return { file: Buffer.concat(parts), notes: w.notes };
}

function segments(file: Buffer): { seg: TcpSegment; at: number; frame: Buffer }[] {
  const out: { seg: TcpSegment; at: number; frame: Buffer }[] = [];
  const r = new PcapFileReader((p) => {
    const seg = decodeSegment(p.linkType, p.data, p.origLen);
    if (typeof seg === 'string') throw new Error(seg);
    out.push({ seg, at: p.at, frame: p.data });
  });
  r.feed(file);
  r.end();
  return out;
}

/** The Internet checksum over the words given (0 when a packet's own checksum is right). */
function onesComplement(...bufs: Buffer[]): number {
  let sum = 0;
  for (const b of bufs) for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function checksumsOk(frame: Buffer): boolean {
  const v6 = frame[0]! >> 4 === 6;
  const ipLen = v6 ? 40 : 20;
  if (!v6 && onesComplement(frame.subarray(0, 20)) !== 0) return false;
  const tcp = frame.subarray(ipLen);
  const pseudo = Buffer.alloc(v6 ? 40 : 12);
  if (v6) {
    frame.copy(pseudo, 0, 8, 40);
    pseudo.writeUInt32BE(tcp.length, 32);
    pseudo[39] = 6;
  } else {
    frame.copy(pseudo, 0, 12, 20);
    pseudo[9] = 6;
    pseudo.writeUInt16BE(tcp.length, 10);
  }
  const padded = tcp.length % 2 ? Buffer.concat([tcp, Buffer.alloc(1)]) : tcp;
  return onesComplement(pseudo, padded) === 0;
}

const link: WireEvent[] = [
  { kind: 'open', link: 3, at: T0, replica: '127.0.0.1:50001', master: '127.0.0.1:6379' },
  { kind: 'bytes', link: 3, at: T0 + 1, from: 'replica', chunk: Buffer.from(resp('PSYNC', '?', '-1')) },
  { kind: 'bytes', link: 3, at: T0 + 2, from: 'master', chunk: Buffer.from('+FULLRESYNC abc 0\r\n') },
  { kind: 'bytes', link: 3, at: T0 + 3.25, from: 'master', chunk: big },
  { kind: 'fault', link: 3, at: T0 + 4, fault: 'freeze', detail: {} },
  { kind: 'gap', link: 3, at: T0 + 5, from: 'master', bytes: 1000, reason: 'rdb-elided' },
  { kind: 'bytes', link: 3, at: T0 + 6, from: 'master', chunk: Buffer.from(resp('SET', 'k', 'v')) },
  { kind: 'close', link: 3, at: T0 + 7, by: 'replica', reason: 'replica closed' },
];

describe('PcapExporter', () => {
  it('a link as one TCP connection: handshake, bytes in segments of at most 64 KiB, FINs, checksums', () => {
    const { file, notes } = exportPcap(link);
    expect(notes).toEqual([]);
    const segs = segments(file);
    const flags = segs.map(({ seg }) => seg.flags);
    expect(flags.slice(0, 3)).toEqual([0x02, 0x12, 0x10]); // SYN, SYN-ACK, ACK
    expect(flags.slice(-3)).toEqual([0x11, 0x11, 0x10]); // FIN from the replica (it closed), FIN, ACK
    expect(segs[3]!.seg).toMatchObject({ srcIp: '127.0.0.1', srcPort: 50001, dstPort: 6379 });
    expect(segs.every(({ seg }) => seg.length <= MAX_SEGMENT_BYTES)).toBe(true);
    expect(MAX_SEGMENT_BYTES).toBeLessThanOrEqual(64 * 1024);
    expect(segs.filter(({ seg }) => seg.length > 0 && seg.srcPort === 6379).map(({ seg }) => seg.length)).toEqual([19, 65495, 65495, 65495, 3515, resp('SET', 'k', 'v').length]);
    expect(segs.every(({ frame }) => checksumsOk(frame))).toBe(true);
    // every segment acknowledges what the other side sent so far, and follows on from the one before it
    const next: Record<number, number> = {};
    for (const { seg } of segs) {
      if (seg.flags & 0x10) expect(seg.ack).toBe(next[seg.dstPort]);
      if (next[seg.srcPort] !== undefined && !(seg.flags & 0x02)) {
        const jump = seg.srcPort === 6379 && seg.payload.toString().startsWith('*3') ? 1000 : 0; // the gap
        expect(seg.seq).toBe((next[seg.srcPort]! + jump) >>> 0);
      }
      next[seg.srcPort] = (seg.seq + seg.length + (seg.flags & 0x03 ? 1 : 0)) >>> 0;
    }
    expect(segs.find(({ seg }) => seg.length === 19)!.at).toBe(T0 + 2);
    expect(segs.find(({ seg }) => seg.length === 3515)!.at).toBe(T0 + 3.25);
  });

  it('read back, the link gives exactly the recorded bytes, and the gap as a gap', () => {
    const { file } = exportPcap(link);
    const events: WireEvent[] = [];
    const source = new PcapSource((e) => events.push(e.kind === 'bytes' ? { ...e, chunk: Buffer.from(e.chunk) } : e));
    source.feed(file);
    source.end();
    source.finish();
    const bytes = (from: 'master' | 'replica', list: WireEvent[]) =>
      Buffer.concat(list.filter((e): e is Extract<WireEvent, { kind: 'bytes' }> => e.kind === 'bytes' && e.from === from).map((e) => e.chunk));
    expect(bytes('master', events).equals(bytes('master', link))).toBe(true);
    expect(bytes('replica', events).equals(bytes('replica', link))).toBe(true);
    expect(events.filter((e) => e.kind === 'gap')).toMatchObject([{ from: 'master', bytes: 1000 }]);
    expect(events.filter((e) => e.kind === 'close')).toMatchObject([{ by: 'replica' }]);
  });

  it('IPv6 links, a master given by host name, a link the capture left open', () => {
    const { file, notes } = exportPcap([
      { kind: 'open', link: 1, at: T0, replica: '[::1]:50002', master: '[::1]:6380' },
      { kind: 'open', link: 2, at: T0, replica: '10.1.1.1:50003', master: 'redis-master:6379' },
      { kind: 'bytes', link: 1, at: T0, from: 'replica', chunk: Buffer.from(resp('PING')) },
      { kind: 'bytes', link: 2, at: T0, from: 'replica', chunk: Buffer.from(resp('PING')) },
    ]);
    expect(notes).toEqual(['link 2: the master "redis-master:6379" is not an IPv4 address: written as 192.0.2.1']);
    const segs = segments(file);
    expect(segs.filter(({ seg }) => seg.srcIp === '::1' && seg.dstPort === 6380 && seg.length === 14)).toHaveLength(1);
    expect(segs.filter(({ seg }) => seg.dstIp === '192.0.2.1' && seg.length === 14)).toHaveLength(1);
    expect(segs.every(({ frame }) => checksumsOk(frame))).toBe(true);
    expect(segs.filter(({ seg }) => seg.flags & 0x01)).toHaveLength(4); // end() closed both
  });
});
