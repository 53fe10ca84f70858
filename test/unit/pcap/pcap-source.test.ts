// A packet capture in, the wire events of its replication links out: decoding them gives the very events that
// decoding the conversation's bytes directly gives, on every link type, from pcap and pcapng, under every
// chunking of the file; other connections are left out; damage (reordered, duplicated, missing packets, a snap
// length) becomes gaps and resyncs, and a connection joined mid-stream is found from its ACKs.
import { describe, expect, it } from 'vitest';
import type { ReplEvent, WireLinkEvent } from '../../../src/core/events.js';
import { LinkDecoder } from '../../../src/decode/link-decoder.js';
import { ANCHOR_QUIET_MS } from '../../../src/decode/master-stream.js';
import { GAP_REASONS, PcapSource } from '../../../src/pcap/pcap-source.js';
import { sampledChunkings } from '../../helpers/chunkings.js';
import { resp } from '../../helpers/decode-case.js';
import { conversation, frame, ipPacket, LINKTYPE, pcapFile, pcapngFile, type LinkKind, type PacketRecord, type SegmentSpec } from '../../helpers/pcap-build.js';

const REPLID = '8b1e' + 'a'.repeat(36);
const RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
const T0 = 1_796_300_000_000;

interface Step {
  from: 'client' | 'server';
  bytes: string | Buffer;
  at: number;
}

const CMDS = [resp('SELECT', '0'), resp('SET', 'k1', 'v1'), resp('SET', 'k2', 'x'.repeat(300)), resp('DEL', 'k1')];
const transcript: Step[] = [
  { from: 'client', bytes: resp('PING'), at: T0 },
  { from: 'server', bytes: '+PONG\r\n', at: T0 + 1 },
  { from: 'client', bytes: resp('REPLCONF', 'listening-port', '6380'), at: T0 + 2 },
  { from: 'server', bytes: '+OK\r\n', at: T0 + 3 },
  { from: 'client', bytes: resp('PSYNC', '?', '-1'), at: T0 + 4 },
  { from: 'server', bytes: Buffer.concat([Buffer.from(`+FULLRESYNC ${REPLID} 0\r\n$${RDB.length}\r\n`), RDB]), at: T0 + 5 },
  { from: 'client', bytes: resp('REPLCONF', 'ACK', '0'), at: T0 + 10 },
  { from: 'server', bytes: CMDS[0]! + CMDS[1]!, at: T0 + 1000 },
  { from: 'server', bytes: CMDS[2]!, at: T0 + 1001 },
  { from: 'client', bytes: resp('REPLCONF', 'ACK', String(len(CMDS.slice(0, 3)))), at: T0 + 1500 },
  { from: 'server', bytes: CMDS[3]!, at: T0 + 2000 },
  { from: 'client', bytes: resp('REPLCONF', 'ACK', String(len(CMDS))), at: T0 + 2000 + ANCHOR_QUIET_MS },
];
function len(parts: string[]): number {
  return parts.reduce((n, p) => n + p.length, 0);
}

const OPEN_AT = T0 - 3;
const CLOSE_AT = T0 + 9000;

/** The conversation's packets, each with the time of its step. */
function packets(client: string, server: string, steps: Step[], opts: { mss?: number; close?: boolean } = {}): SegmentSpec[] {
  return conversation(client, server, steps, { ...opts, openAt: OPEN_AT, closeAt: CLOSE_AT });
}

function records(kind: LinkKind, list: SegmentSpec[]): PacketRecord[] {
  return list.map((spec) => ({ at: spec.at!, data: frame(kind, ipPacket(spec)) }));
}

/** Wire events of a capture file fed in these chunks. */
function wire(chunks: Buffer[], ports?: number[]): { events: WireLinkEvent[]; source: PcapSource } {
  const events: WireLinkEvent[] = [];
  const source = new PcapSource((e) => events.push(e.kind === 'bytes' ? { ...e, chunk: Buffer.from(e.chunk) } : e), { ports });
  for (const c of chunks) source.feed(c);
  source.end();
  source.finish();
  return { events, source };
}

/** Decoded events, with argv as text and the chunking-dependent rdb-progress left out. */
function decode(events: WireLinkEvent[]): unknown[] {
  const out: ReplEvent[] = [];
  const decoders = new Map<number, LinkDecoder>();
  for (const e of events) {
    if (!decoders.has(e.link)) decoders.set(e.link, new LinkDecoder(e.link, (x) => out.push(x.type === 'command' ? { ...x, argv: x.argv.map((a) => Buffer.from(a)) } : x)));
    decoders.get(e.link)!.feed(e);
  }
  return out.filter((e) => e.type !== 'rdb-progress').map((e) => (e.type === 'command' ? { ...e, argv: e.argv.map((a) => a.toString('latin1')) } : e));
}

/** The same conversation decoded straight from its bytes, as the proxy would see it. */
function direct(client: string, server: string, steps: Step[], closeAt: number, by: 'replica' | 'master' = 'replica'): unknown[] {
  const events: WireLinkEvent[] = [{ kind: 'open', link: 1, at: OPEN_AT, replica: client, master: server }];
  for (const s of steps) events.push({ kind: 'bytes', link: 1, at: s.at, from: s.from === 'client' ? 'replica' : 'master', chunk: Buffer.from(s.bytes as string, 'latin1') });
  events.push({ kind: 'close', link: 1, at: closeAt, by, reason: `closed by the ${by}` });
  return decode(events);
}

function expectEveryChunking(file: Buffer, expected: unknown[], ports?: number[]): void {
  for (const { name, chunks } of sampledChunkings(file, 60, 5)) {
    const got = decode(wire(chunks, ports).events);
    if (JSON.stringify(got) !== JSON.stringify(expected)) expect(got, name).toEqual(expected);
  }
}

const V4 = ['10.0.0.2:50000', '10.0.0.1:6379'] as const;
const V6 = ['[fe80::2]:50000', '[fe80::1]:6379'] as const;

describe('PcapSource', () => {
  const kinds = Object.keys(LINKTYPE) as LinkKind[];
  for (const kind of kinds) {
    it(`${kind}: the events of the conversation itself`, () => {
      const [client, server] = kind === 'ipv6' || kind === 'sll2' ? V6 : V4;
      const file = pcapFile(LINKTYPE[kind], records(kind, packets(client, server, transcript, { mss: 100 })));
      const expected = direct(client, server, transcript, CLOSE_AT);
      expect(expected.filter((e) => (e as ReplEvent).type === 'command')).toHaveLength(4);
      expectEveryChunking(file, expected);
    });
  }

  it('pcapng, every packet captured on two interfaces (lo and any): the duplicates are dropped', () => {
    const list = packets(V4[0], V4[1], transcript, { mss: 64 });
    const file = pcapngFile([
      {
        interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 113, tsresol: 9 }],
        packets: list.flatMap((spec) => [
          { at: spec.at!, data: frame('ethernet', ipPacket(spec)), iface: 0 },
          { at: spec.at!, data: frame('sll', ipPacket(spec)), iface: 1 },
        ]),
      },
    ]);
    expectEveryChunking(file, direct(V4[0], V4[1], transcript, CLOSE_AT));
    const total = transcript.reduce((n, s) => n + Buffer.byteLength(s.bytes as string, 'latin1'), 0);
    expect(wire([file]).source.stats().duplicateBytes).toBe(total);
  });

  it('other connections (a client, another protocol, UDP) are left out; --port keeps only its connections', () => {
    const link = packets(V4[0], V4[1], transcript);
    const client = packets('10.0.0.3:40000', V4[1], [
      { from: 'client', bytes: resp('AUTH', 'pw') + resp('GET', 'k'), at: T0 + 1 },
      { from: 'server', bytes: '+OK\r\n$1\r\nv\r\n', at: T0 + 2 },
    ]);
    const http = packets('10.0.0.4:40001', '10.0.0.5:80', [{ from: 'client', bytes: 'GET / HTTP/1.1\r\n\r\n', at: T0 + 3 }]);
    const udp = ipPacket({ src: '10.0.0.6:53', dst: '10.0.0.7:53', seq: 0, payload: 'dns' });
    udp[9] = 17;
    const all = [...link, ...client, ...http].sort((a, b) => a.at! - b.at!);
    const file = pcapFile(1, [...records('ethernet', all), { at: T0, data: frame('ethernet', udp) }]);
    const { events, source } = wire([file]);
    expect(events.filter((e) => e.kind === 'open')).toEqual([{ kind: 'open', link: 1, at: OPEN_AT, replica: V4[0], master: V4[1] }]);
    expect(source.stats()).toMatchObject({ links: 1, connections: 3, skipped: { 'not-tcp': 1 } });
    expect(decode(events)).toEqual(direct(V4[0], V4[1], transcript, CLOSE_AT));
    const onlyOther = wire([file], [80]);
    expect(onlyOther.events).toEqual([]);
    expect(onlyOther.source.stats().skipped['other-port']).toBeGreaterThan(0);
    expect(wire([file], [6379]).events.filter((e) => e.kind === 'open')).toHaveLength(1);
  });

  it('reordered and duplicated packets change nothing but when bytes come out', () => {
    const list = packets(V4[0], V4[1], transcript, { mss: 50 });
    const shuffled = [...list];
    // a capture reorders the segments of one direction (two paths, a retransmission); across directions the
    // order is what happened
    for (let k = 3; k + 1 < shuffled.length; k += 2) if (shuffled[k]!.src === shuffled[k + 1]!.src) [shuffled[k], shuffled[k + 1]] = [shuffled[k + 1]!, shuffled[k]!];
    const doubled = shuffled.flatMap((p, k) => (k % 4 === 0 ? [p, p] : [p]));
    // a swapped packet carries the time it was captured at: the bytes it completes come out then
    const file = pcapFile(1, records('ethernet', doubled.map((p, k) => ({ ...p, at: Math.max(p.at!, doubled[k - 1]?.at ?? 0) }))));
    const got = decode(wire([file]).events).map((e) => ({ ...(e as object), at: 0 }));
    const want = direct(V4[0], V4[1], transcript, CLOSE_AT).map((e) => ({ ...(e as object), at: 0 }));
    expect(got.filter((e) => ['command', 'fullresync', 'rdb-end', 'ack'].includes((e as ReplEvent).type))).toEqual(want.filter((e) => ['command', 'fullresync', 'rdb-end', 'ack'].includes((e as ReplEvent).type)));
  });

  it('a packet missing from the capture: a gap of its size, decoding resumes with exact offsets', () => {
    const list = packets(V4[0], V4[1], transcript, { mss: 1460 });
    const missing = list.findIndex((p) => p.payload && Buffer.from(p.payload as Buffer).toString('latin1') === CMDS[2]);
    const file = pcapFile(1, records('ethernet', list.filter((_, k) => k !== missing)));
    const events = decode(wire([file]).events) as ReplEvent[];
    expect(events.filter((e) => e.type === 'gap')).toMatchObject([{ from: 'master', bytes: CMDS[2]!.length, reason: GAP_REASONS['not-captured'] }]);
    expect(events.filter((e) => e.type === 'resync')).toMatchObject([{ from: 'master', skipped: 0 }]);
    const commands = events.filter((e): e is Extract<ReplEvent, { type: 'command' }> => e.type === 'command');
    expect(commands.map((c) => [c.offset, (c.argv as unknown as string[])[0]])).toEqual([
      [len(CMDS.slice(0, 1)), 'SELECT'],
      [len(CMDS.slice(0, 2)), 'SET'],
      [len(CMDS), 'DEL'],
    ]);
  });

  it('a snap length: every segment cut is a gap of what was cut, nothing invented', () => {
    const list = packets(V4[0], V4[1], transcript, { mss: 1460 });
    const snap = 14 + 20 + 20 + 30;
    const file = pcapFile(1, records('ethernet', list).map((r) => ({ ...r, data: r.data.subarray(0, snap), origLen: r.data.length })), { snapLen: snap });
    const { events } = wire([file]);
    const cut = list.reduce((n, p) => n + Math.max(0, ((p.payload as Buffer | undefined)?.length ?? 0) - 30), 0);
    const gaps = events.filter((e): e is Extract<WireLinkEvent, { kind: 'gap' }> => e.kind === 'gap');
    expect(gaps.reduce((n, g) => n + g.bytes, 0)).toBe(cut);
    expect(gaps.every((g) => g.reason === GAP_REASONS['snap-length'])).toBe(true);
    // every byte delivered is the conversation's byte at that place
    for (const from of ['master', 'replica'] as const) {
      const truth = Buffer.concat(transcript.filter((s) => (s.from === 'client') === (from === 'replica')).map((s) => Buffer.from(s.bytes as string, 'latin1')));
      let pos = 0;
      for (const e of events) {
        if ((e.kind !== 'bytes' && e.kind !== 'gap') || e.from !== from) continue;
        if (e.kind === 'gap') pos += e.bytes;
        else {
          expect(e.chunk.equals(truth.subarray(pos, pos + e.chunk.length))).toBe(true);
          pos += e.chunk.length;
        }
      }
      expect(pos).toBe(truth.length);
    }
    expect(() => decode(events)).not.toThrow();
  });

  it('joined mid-stream: found from its ACKs, a gap says so, offsets from the idle ACK', () => {
    const list = packets(V4[0], V4[1], transcript, { mss: 1460 });
    const firstStreamPacket = list.findIndex((p) => p.at === T0 + 1000);
    const file = pcapFile(1, records('ethernet', list.slice(firstStreamPacket)));
    const events = decode(wire([file]).events) as ReplEvent[];
    expect(events[0]).toMatchObject({ type: 'link-open', replica: V4[0], master: V4[1] });
    expect(events.filter((e) => e.type === 'gap')).toMatchObject([
      { from: 'replica', bytes: 0, reason: GAP_REASONS['mid-stream'] },
      { from: 'master', bytes: 0, reason: GAP_REASONS['mid-stream'] },
    ]);
    const commands = events.filter((e): e is Extract<ReplEvent, { type: 'command' }> => e.type === 'command');
    expect(commands.map((c) => c.offset)).toEqual([1, 2, 3, 4].map((k) => len(CMDS.slice(0, k))));
  });

  it('a new SYN on the same ports is a new connection; a reset closes the link, by the side that sent it', () => {
    const first = packets(V4[0], V4[1], transcript.slice(0, 6), { close: false });
    const rst: SegmentSpec = { src: V4[1], dst: V4[0], seq: 1, flags: 'R', at: T0 + 20 };
    // the RST's sequence number does not matter for a reset; the next connection reuses the ports
    const second = packets(V4[0], V4[1], transcript.slice(0, 6).map((s) => ({ ...s, at: s.at + 100 })), { close: false }).map((p) => ({ ...p, at: Math.max(p.at!, T0 + 100) }));
    const file = pcapFile(1, records('ethernet', [...first, rst, ...second]));
    const { events } = wire([file]);
    expect(events.filter((e) => e.kind === 'open').map((e) => e.link)).toEqual([1, 2]);
    expect(events.filter((e) => e.kind === 'close')).toEqual([
      { kind: 'close', link: 1, at: T0 + 20, by: 'master', reason: 'reset by the master' },
      { kind: 'close', link: 2, at: T0 + 105, by: 'proxy', reason: 'still open when the packet capture ended' },
    ]);
  });
});
