// Passive mode against real tools: a real replication (3 replicas through the proxy sharing one fork, a command
// load, a cut and the partial resync after it) captured by tcpdump and dumpcap alongside the proxy, on the
// master side (proxy to master). Then:
// - `repl-spy pcap` on the tcpdump file gives the live proxy's decoded events for those links: offsets, replids,
//   RDB summaries, the shared snapshot, the last command offset equal to the master's master_repl_offset;
// - the bytes reassembled from the packets are the capture's bytes (SHA-256), for -i lo (Ethernet), -i any
//   (Linux cooked v2, nanosecond times) and dumpcap on lo and any at once (pcapng, two interfaces: every packet
//   twice), and for `tcpdump -w - | repl-spy pcap -` as it runs;
// - the same file damaged (packets reordered, duplicated, removed) and a capture with a 200-byte snap length:
//   gaps of the right sizes, no byte invented, no crash;
// - `export --format pcap` of the capture: tshark follows every link to exactly the recorded bytes and finds no
//   malformed packet;
// - bad input: a truncated file, another protocol, garbage, an unsupported link type.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { openCaptureWriter, type CaptureWriter } from '../../src/capture/writer.js';
import type { From, WireEvent } from '../../src/core/events.js';
import { createPipeline } from '../../src/decode/pipeline.js';
import { makeRdbSink } from '../../src/decode/rdb-sink.js';
import { jsonLine } from '../../src/output/json-output.js';
import { PcapFileReader, type Packet } from '../../src/pcap/pcap-file.js';
import { PcapSource } from '../../src/pcap/pcap-source.js';
import { decodeSegment, type TcpSegment } from '../../src/pcap/tcp-segment.js';
import { startProxy, type Proxy } from '../../src/proxy/index.js';
import { cliPath } from '../helpers/cli.js';
import { droppedByKernel, requirePacketTools, startCapture, tshark, tsharkFollow, type Capturing } from '../helpers/packet-capture.js';
import { pcapFile } from '../helpers/pcap-build.js';
import { requireRedis, startRedis, startReplicaThrough, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import type { JsonEvent } from '../helpers/spy.js';
import { builtCli, requireTmux, Tmux } from './tui-terminal.js';

const ready = requireRedis() && requirePacketTools();
const hasTmux = ready && requireTmux();

function cli(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string; events: JsonEvent[] } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { input, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' });
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonEvent);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, events };
}

/** A link's two directions as a source of wire events gives them: the bytes, and where the gaps are. */
interface Link {
  open: WireEvent & { kind: 'open' };
  bytes: Record<From, Buffer[]>;
  gaps: Record<From, [number, number][]>;
}
/** Links by their replica endpoint ("ip:port"), which the proxy's master connections make unique. */
type Streams = Map<string, Link>;

function streamsOf(events: WireEvent[]): Streams {
  const byLink = new Map<number, Link & { pos: Record<From, number> }>();
  for (const e of events) {
    if (!('link' in e)) continue; // ticks and INFO readings belong to no link
    if (e.kind === 'open') byLink.set(e.link, { open: e, bytes: { master: [], replica: [] }, gaps: { master: [], replica: [] }, pos: { master: 0, replica: 0 } });
    const l = byLink.get(e.link);
    if (!l) continue;
    if (e.kind === 'bytes') {
      l.bytes[e.from].push(Buffer.from(e.chunk));
      l.pos[e.from] += e.chunk.length;
    } else if (e.kind === 'gap') {
      l.gaps[e.from].push([l.pos[e.from], l.pos[e.from] + e.bytes]);
      l.bytes[e.from].push(Buffer.alloc(e.bytes));
      l.pos[e.from] += e.bytes;
    }
  }
  return new Map([...byLink.values()].map((l) => [l.open.replica, l]));
}

/** Stream positions [start, end) of a link direction that packets carried on the wire ('all'), captured, or
 *  lost to the snap length ('cut'), merged. The direction's SYN (in `withSyn`) gives position 0. */
function wireRanges(packets: Packet[], link: Link, from: From, part: 'all' | 'captured' | 'cut', withSyn = packets): [number, number][] {
  const [srcText, dstText] = from === 'replica' ? [link.open.replica, link.open.master] : [link.open.master, link.open.replica];
  const port = (t: string) => Number(/:(\d+)$/.exec(t)![1]);
  const segments = (list: Packet[]) =>
    list.map((p) => decodeSegment(p.linkType, p.data, p.origLen)).filter((seg): seg is TcpSegment => typeof seg !== 'string' && seg.srcPort === port(srcText) && seg.dstPort === port(dstText));
  const isn = segments(withSyn).find((seg) => seg.flags & 0x02)!.seq;
  const out: [number, number][] = [];
  for (const seg of segments(packets)) {
    if (seg.length === 0) continue;
    const start = (seg.seq - isn - 1) >>> 0;
    const captured = seg.payload.length;
    if (part === 'all') out.push([start, start + seg.length]);
    else if (part === 'captured' && captured > 0) out.push([start, start + captured]);
    else if (part === 'cut' && captured < seg.length) out.push([start + captured, start + seg.length]);
  }
  return merge(out);
}

function merge(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [s, e] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function subtract(from: [number, number][], minus: [number, number][]): [number, number][] {
  let out = from;
  for (const [ms, me] of minus) out = out.flatMap(([s, e]): [number, number][] => (me <= s || ms >= e ? [[s, e]] : [...(s < ms ? [[s, ms] as [number, number]] : []), ...(me < e ? [[me, e] as [number, number]] : [])]));
  return out;
}

/** Every link of `got` is the link of `truth` with the same endpoints; every byte it delivered is the true byte
 *  at that position, and its gaps are exactly the missing ranges. Returns the bytes in gaps. */
function expectTrueBytesAndGaps(truth: Streams, got: Streams, missing: (link: Link, from: From) => [number, number][]): number {
  expect([...got.keys()].sort()).toEqual([...truth.keys()].sort());
  let total = 0;
  for (const [replica, t] of truth) {
    const g = got.get(replica)!;
    for (const from of ['master', 'replica'] as const) {
      const whole = Buffer.concat(t.bytes[from]);
      let pos = 0;
      const gaps = g.gaps[from];
      for (const part of g.bytes[from]) {
        const inGap = gaps.some(([s, e]) => s === pos && e === pos + part.length);
        if (!inGap) expect(part.equals(whole.subarray(pos, pos + part.length)), `${replica} ${from} at ${pos}`).toBe(true);
        pos += part.length;
      }
      expect(pos, `${replica} ${from}`).toBe(whole.length);
      expect(merge(gaps), `${replica} ${from} gaps`).toEqual(missing(t, from));
      total += gaps.reduce((n, [s, e]) => n + e - s, 0);
    }
  }
  return total;
}

function fromPcap(file: Buffer | string): Streams {
  const events: WireEvent[] = [];
  const source = new PcapSource((e) => events.push(e));
  source.feed(typeof file === 'string' ? readFileSync(file) : file);
  source.end();
  source.finish();
  return streamsOf(events);
}

const sha = (parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest('hex');
/** Each link as the SHA-256 of its two directions, sorted: equal sets mean the same bytes on the same links. */
const fingerprints = (s: Streams) => [...s.values()].map((l) => `${sha(l.bytes.replica)} ${sha(l.bytes.master)}`).sort();

/** The replica's own port, from its REPLCONF listening-port: which replica a link belongs to. */
function replicaPortOf(events: JsonEvent[], link: number): number {
  const e = events.find((x) => x.link === link && x.type === 'replica-command' && x.argv[0]?.toUpperCase() === 'REPLCONF' && x.argv[1]?.toLowerCase() === 'listening-port');
  return Number(e?.argv[2]);
}

/** What the decoded events of a run say, per replica and sync, without link ids, times or socket addresses. */
function facts(events: JsonEvent[], masterPort: number): unknown {
  const links = events.filter((e) => e.type === 'link-open' && e.master.endsWith(`:${masterPort}`)).map((e) => e.link);
  const byReplica = links.map((link) => {
    const of = (type: string) => events.filter((e) => e.link === link && e.type === type);
    const summary = of('rdb-info').find((e) => e.phase === 'summary')?.info;
    return {
      replica: replicaPortOf(events, link),
      psync: of('psync').map((e) => [e.replid, e.offset]),
      fullresync: of('fullresync').map((e) => [e.replid, e.offset, e.reasonCode]),
      continue: of('continue').map((e) => [e.replid, e.offset, e.reasonCode]),
      rdb: of('rdb-end').map((e) => e.bytes),
      summary: summary && { keys: summary.keys, checksum: summary.checksum, complete: summary.complete, replId: summary.replId, bytes: summary.bytes },
      commands: of('command').map((e) => [e.offset, e.db, e.argv.join(' ')]),
      acks: of('ack').map((e) => e.offset),
    };
  });
  const port = new Map(links.map((l) => [l, replicaPortOf(events, l)]));
  const shared = events.filter((e) => e.type === 'shared-snapshot').map((e) => [e.replid, e.offset, e.links.map((l: number) => port.get(l)).sort()]);
  return { byReplica: byReplica.sort((a, b) => a.replica - b.replica || a.commands.length - b.commands.length), shared: shared.at(-1) };
}

/** The records of a capture file, to write them again damaged. */
function records(file: string): { linkType: number; packets: Packet[] } {
  const packets: Packet[] = [];
  const r = new PcapFileReader((p) => packets.push({ ...p, data: Buffer.from(p.data) }));
  r.feed(readFileSync(file));
  r.end();
  return { linkType: packets[0]!.linkType, packets };
}

/** The ports of the replica side of each link (the proxy's end of its master connections). */
function linkPorts(s: Streams): Set<number> {
  return new Set([...s.keys()].map((replica) => Number(/:(\d+)$/.exec(replica)![1])));
}

describe.skipIf(!ready)('passive mode: tcpdump and tshark alongside a real replication', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-pcap-it-'));
  const file = (name: string) => path.join(tmp, name);
  const servers: RedisServer[] = [];
  const live: JsonEvent[] = [];
  const liveWire: WireEvent[] = [];
  let master: RedisServer;
  let proxy: Proxy;
  let capture: CaptureWriter;
  let masterOffset = 0;
  let captures: Capturing[] = [];
  let stdinRun: ReturnType<typeof spawn>;
  let stdinOut = '';

  beforeAll(async () => {
    // a fork that waits 2 s for more replicas: the three share it
    // no master PING: once the replicas are paused at the end, nothing crosses the links any more
    master = await startRedis({ args: ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '2', '--repl-ping-replica-period', '3600'] });
    servers.push(master);
    await master.cmd('DEBUG', 'POPULATE', 3000, 'snap', 100);
    await master.cmd('SET', 'big', 'x'.repeat(300_000));
    const filter = `tcp port ${master.port}`;
    captures = await Promise.all([
      startCapture('tcpdump', ['-i', 'lo', '-U', '-s', '0', '-B', '65536', '-w', file('lo.pcap'), filter]),
      startCapture('tcpdump', ['-i', 'lo', '-U', '-s', '200', '-B', '65536', '-w', file('snap200.pcap'), filter]),
      startCapture('tcpdump', ['-i', 'any', '-U', '-s', '0', '-B', '65536', '--time-stamp-precision=nano', '-w', file('any.pcap'), filter]),
      startCapture('dumpcap', ['-q', '-i', 'lo', '-f', filter, '-i', 'any', '-f', filter, '-w', file('two.pcapng')]),
    ]);
    // `tcpdump -w - | repl-spy pcap -`, decoding as the packets come
    stdinRun = spawn('sh', ['-c', `tcpdump ${process.getuid?.() === 0 ? '-Z root ' : ''}-i lo -U --immediate-mode -s 0 -B 16384 -w - '${filter}' 2>${file('stdin-tcpdump.log')} | ${process.execPath} ${cliPath} pcap - --json`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stdinRun.stdout!.on('data', (d: Buffer) => (stdinOut += d.toString()));
    await waitFor(() => readFileSync(file('stdin-tcpdump.log'), 'utf8').includes('listening on'), 10_000, 'the piped tcpdump to listen');

    const pipeline = createPipeline({ rdbSink: makeRdbSink });
    pipeline.subscribe((e) => live.push(JSON.parse(jsonLine(e)) as JsonEvent));
    capture = openCaptureWriter({ path: file('live.rspy'), upstream: `127.0.0.1:${master.port}`, captureRdb: 'full', captureSecrets: false });
    proxy = await startProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port: master.port },
      onWire: (e) => {
        liveWire.push(e.kind === 'bytes' ? { ...e, chunk: Buffer.from(e.chunk) } : e);
        capture.wire(e);
        pipeline.wire(e);
      },
    });
    const replicas = await Promise.all([1, 2, 3].map(() => startReplicaThrough(proxy.address().port)));
    servers.push(...replicas);
    for (const r of replicas) await waitForLinkUp(r, 30_000);
    // the live pipe decodes while tcpdump still runs
    await waitFor(() => (stdinOut.match(/"type":"rdb-end"/g) ?? []).length === 3, 20_000, 'repl-spy pcap - to decode the three transfers');

    const load = async (tag: string) => {
      for (let i = 0; i < 30; i++) await master.cmd('SET', `${tag}:${i}`, `value-${i}`);
      await master.cmd('SELECT', '3');
      await master.cmd('MULTI');
      await master.cmd('HSET', `${tag}:h`, 'f', 'v');
      await master.cmd('INCR', `${tag}:n`);
      await master.cmd('EXEC');
      await master.cmd('SET', `${tag}:large`, 'y'.repeat(150_000)); // more than one 64 KiB segment
      await master.cmd('SELECT', '0');
    };
    await load('before');
    // cut one replica's link: it comes back with PSYNC and +CONTINUE
    const first = live.find((e) => e.type === 'link-open')!.link;
    proxy.links.get(first)!.apply({ kind: 'cut' }, 'cut by the test');
    await waitFor(() => live.some((e) => e.type === 'continue'), 20_000, 'the partial resync');
    await load('after');
    await waitFor(
      async () => {
        masterOffset = Number((await master.info('replication')).master_repl_offset);
        const offsets = await Promise.all(replicas.map(async (r) => Number((await r.info('replication')).slave_repl_offset)));
        const openLinks = live.filter((e) => e.type === 'link-open').map((e) => e.link).filter((l) => !live.some((e) => e.type === 'link-close' && e.link === l));
        const acks = openLinks.map((l) => live.filter((e) => e.type === 'ack' && e.link === l).at(-1)?.offset);
        return offsets.every((o) => o === masterOffset) && acks.length === 3 && acks.every((o) => o === masterOffset);
      },
      30_000,
      'replicas and ACKs at the master offset',
    );
    // quiet links (no ACK, no PING) while the captures stop, so that they and the proxy saw the same bytes
    for (const r of replicas) r.pause();
    await new Promise((r) => setTimeout(r, 1500)); // dumpcap hands packets on in blocks
    await Promise.all(captures.map((c) => c.stop()));
    spawnSync('sh', ['-c', `kill -INT $(pgrep -P ${stdinRun.pid} tcpdump) 2>/dev/null`]);
    await new Promise<void>((resolve) => stdinRun.once('exit', () => resolve()));
    await proxy.close();
    const at = Date.now();
    pipeline.end(at);
    await capture.close(at);
    for (const r of replicas) r.resume();
  }, 120_000);

  afterAll(async () => {
    for (const c of captures) await c.stop();
    if (stdinRun && stdinRun.exitCode === null) stdinRun.kill('SIGKILL');
    await proxy?.close();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the captures lost nothing (else the comparisons below would not be fair)', () => {
    for (const c of captures.slice(0, 3)) expect(droppedByKernel(c.stderr()), c.stderr()).toBe(0);
    expect(live.filter((e) => e.type === 'fullresync')).toHaveLength(3);
    expect(live.filter((e) => e.type === 'continue')).toHaveLength(1);
    expect(live.filter((e) => e.type === 'shared-snapshot').at(-1)?.links).toHaveLength(3);
  });

  it('repl-spy pcap decodes the master-side links as the live proxy did', () => {
    const r = cli(['pcap', file('lo.pcap'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/: \d+ packets \(pcap\), 4 replication links among \d+ TCP connections\n$/);
    const got = facts(r.events, master.port);
    expect(got).toEqual(facts(live, master.port));
    // the oracle: Redis's own offset
    const lastCommands = r.events.filter((e) => e.type === 'command').reduce((m, e) => m.set(e.link, e.offset), new Map<number, number>());
    const open = r.events.filter((e) => e.type === 'link-open').map((e) => e.link).filter((l) => r.events.find((e) => e.type === 'link-close' && e.link === l)?.by === 'proxy');
    expect(open).toHaveLength(3);
    for (const l of open) expect(lastCommands.get(l)).toBe(masterOffset);
    expect(r.events.filter((e) => e.type === 'gap' || e.type === 'protocol-violation')).toEqual([]);
    // the times are the packets' times: within the same second as the proxy's
    const rdbStart = (events: JsonEvent[]) => events.filter((e) => e.type === 'rdb-start').map((e) => e.at).sort();
    rdbStart(r.events).forEach((at, k) => expect(Math.abs(at - rdbStart(live)[k]!)).toBeLessThan(1000));
  });

  it('the bytes reassembled from the packets are the capture bytes, on every link type and file format', () => {
    const want = fingerprints(streamsOf(liveWire));
    expect(want).toHaveLength(4);
    for (const name of ['lo.pcap', 'any.pcap', 'two.pcapng']) {
      expect(fingerprints(fromPcap(file(name))), name).toEqual(want);
    }
    expect(readFileSync(file('any.pcap')).readUInt32LE(0)).toBe(0xa1b23c4d); // nanosecond pcap
    expect(records(file('any.pcap')).linkType).toBe(276); // Linux cooked v2
    const ng = readFileSync(file('two.pcapng'));
    expect(ng.readUInt32LE(0)).toBe(0x0a0d0d0a);
    // and the capture file repl-spy wrote live holds them too
    return (async () => {
      const events: WireEvent[] = [];
      for await (const e of (await openCapture(file('live.rspy'))).events()) events.push(e);
      expect(fingerprints(streamsOf(events))).toEqual(want);
    })();
  });

  it('tcpdump -w - | repl-spy pcap - decoded as it ran, the same as the file', () => {
    const events = stdinOut.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonEvent);
    expect(facts(events, master.port)).toEqual(facts(live, master.port));
    expect(stdinRun.exitCode).toBe(0);
  });

  it.skipIf(!hasTmux)('the TUI shows the links of the pcap, grouped by their shared snapshot, at the master offset', async () => {
    const tui = Tmux.start(`repl-spy-pcap-tui-${process.pid}`, [process.execPath, builtCli(), 'pcap', file('lo.pcap')], tmp, 100, 30);
    try {
      const screen = await tui.waitScreen('the links of the pcap', (t) => t.includes('pcap ') && (t.match(new RegExp(`off ${masterOffset} `, 'g')) ?? []).length === 3);
      expect(screen).toContain('3 replicas, 1 ');
      expect(screen).toMatch(/repl-spy \[links\] pcap .*lo\.pcap/);
      tui.keys('q');
      await waitFor(() => tui.exited(), 10_000, 'the TUI to quit');
    } finally {
      tui.kill();
    }
  });

  it('repl-spy pcap --capture writes a capture that replay reads, with the same events', () => {
    const r = cli(['pcap', file('lo.pcap'), '--json', '--capture', file('from-pcap.rspy')]);
    expect(r.status, r.stderr).toBe(0);
    const replay = cli(['replay', file('from-pcap.rspy'), '--json']);
    expect(replay.status, replay.stderr).toBe(0);
    // replay gives no resync reasons (yet): the rest is the same, event for event
    const withoutReasons = (events: JsonEvent[]) => events.map(({ reason: _r, reasonCode: _c, ...e }) => e);
    expect(withoutReasons(replay.events)).toEqual(withoutReasons(r.events));
    expect(r.events.filter((e) => e.type === 'fullresync').every((e) => e.reasonCode === 'first-sync')).toBe(true);
    expect(r.events.find((e) => e.type === 'continue')?.reasonCode).toBe('within-backlog');
  });

  it('damaged packets: reordered, duplicated and removed ones give gaps exactly where bytes are missing, no byte invented', () => {
    const { linkType, packets } = records(file('lo.pcap'));
    const truth = fromPcap(file('lo.pcap'));
    const ports = linkPorts(truth);
    const damaged: Packet[] = [];
    const removed: Packet[] = [];
    packets.forEach((p, k) => {
      const seg = decodeSegment(p.linkType, p.data, p.origLen);
      const ofLink = typeof seg !== 'string' && (ports.has(seg.srcPort) || ports.has(seg.dstPort));
      // remove every 7th data packet of a link (not the last ones of the capture: their ACKs, which tell they were
      // sent, may be past its end)
      if (ofLink && seg.length > 0 && k % 7 === 3 && k < packets.length - 40) return removed.push(p);
      damaged.push(p);
      if (k % 5 === 0) damaged.push(p); // duplicated
    });
    for (let k = 10; k + 1 < damaged.length; k += 9) [damaged[k], damaged[k + 1]] = [damaged[k + 1]!, damaged[k]!]; // reordered
    const bytes = pcapFile(linkType, damaged.map((p) => ({ at: p.at, data: p.data, origLen: p.origLen })));
    writeFileSync(file('damaged.pcap'), bytes);
    expect(removed.length).toBeGreaterThan(10);
    // missing: what the removed packets carried and no kept packet (a retransmission) carries too
    const missing = (link: Link, from: From) => subtract(wireRanges(removed, link, from, 'all', packets), wireRanges(damaged, link, from, 'all'));
    const gapTotal = expectTrueBytesAndGaps(truth, fromPcap(bytes), missing);
    expect(gapTotal).toBeGreaterThan(0);
    const r = cli(['pcap', file('damaged.pcap'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${gapTotal} bytes missing from the capture`));
    expect(r.events.filter((e) => e.type === 'gap').reduce((n, e) => n + e.bytes, 0)).toBe(gapTotal);
    expect(r.stderr).not.toMatch(/\n\s+at |TypeError|RangeError/);
  });

  it('a 200-byte snap length: what the snap length cut is a gap, the rest is the true bytes, decoding goes on', () => {
    const truth = fromPcap(file('lo.pcap'));
    const { packets } = records(file('snap200.pcap'));
    // missing: the cut part of every packet, unless another copy of those bytes was captured
    const missing = (link: Link, from: From) => subtract(wireRanges(packets, link, from, 'cut'), wireRanges(packets, link, from, 'captured'));
    const gapTotal = expectTrueBytesAndGaps(truth, fromPcap(file('snap200.pcap')), missing);
    expect(gapTotal).toBeGreaterThan(1_000_000);
    const r = cli(['pcap', file('snap200.pcap'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const gaps = r.events.filter((e) => e.type === 'gap');
    expect(gaps.reduce((n, e) => n + e.bytes, 0)).toBe(gapTotal);
    expect(gaps.every((e) => e.reason === 'cut by the snap length')).toBe(true);
    // the small commands fit in 200 bytes: decoding resumes after each cut one
    expect(r.events.filter((e) => e.type === 'resync').length).toBeGreaterThan(0);
    expect(r.events.some((e) => e.type === 'command' && e.argv[0] === 'SET' && String(e.argv[1]).startsWith('after:'))).toBe(true);
  });

  it('export --format pcap: tshark follows every link to exactly the recorded bytes, and finds nothing malformed', () => {
    const out = spawnSync('sh', ['-c', `${process.execPath} ${cliPath} export ${file('live.rspy')} --format pcap > ${file('out.pcap')}`], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const recorded = streamsOf(liveWire);
    for (let stream = 0; stream < recorded.size; stream++) {
      const f = tsharkFollow(file('out.pcap'), stream);
      const link = recorded.get(f.node0)!;
      expect(link, `stream ${stream}: node 0 ${f.node0}`).toBeDefined();
      expect(f.node1).toBe(link.open.master);
      expect(sha([f.bytes[0]]), `stream ${stream} replica bytes`).toBe(sha(link.bytes.replica));
      expect(sha([f.bytes[1]]), `stream ${stream} master bytes`).toBe(sha(link.bytes.master));
    }
    const malformed = tshark(['-r', file('out.pcap'), '-Y', '_ws.malformed']);
    expect(malformed.status).toBe(0);
    expect(malformed.stdout).toBe('');
    const conversations = tshark(['-r', file('out.pcap'), '-q', '-z', 'conv,tcp']);
    expect(conversations.stdout.split('\n').filter((l) => /<->/.test(l))).toHaveLength(recorded.size);
  });

  it('bad input: a clear message with the byte offset, a non-zero exit, and the events decoded before it', () => {
    const whole = readFileSync(file('lo.pcap'));
    writeFileSync(file('truncated.pcap'), whole.subarray(0, Math.floor(whole.length * 0.6)));
    const truncated = cli(['pcap', file('truncated.pcap'), '--json']);
    expect(truncated.status).toBe(1);
    expect(truncated.stderr).toMatch(/truncated\.pcap: byte \d+: the file ends inside a pcap record \(\d+ of \d+ bytes\): the capture was cut; every packet before it was read\n$/);
    expect(truncated.events.filter((e) => e.type === 'rdb-end').length).toBeGreaterThan(0);
    expect(truncated.events.at(-1)?.type).toBe('link-close');

    writeFileSync(file('garbage.pcap'), Buffer.from('this is no capture at all, just text\n'));
    const garbage = cli(['pcap', file('garbage.pcap')]);
    expect(garbage.status).toBe(1);
    expect(garbage.stderr).toMatch(/garbage\.pcap: byte 0: not a pcap or pcapng file \(it starts with "this is "\); write one with tcpdump -w FILE\n$/);

    writeFileSync(file('usb.pcap'), pcapFile(189, [{ at: Date.now(), data: Buffer.alloc(64) }]));
    const usb = cli(['pcap', file('usb.pcap')]);
    expect(usb.status).toBe(1);
    expect(usb.stderr).toMatch(/usb\.pcap: byte 20: link type #189 \(189\) is not supported; supported: [^\n]+\n$/);

    const missing = cli(['pcap', file('nope.pcap')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.pcap: ENOENT/);
  });

  it('a capture of another protocol: no replication link, said with what to do, exit 1', async () => {
    // an HTTP-like exchange over loopback, captured by tcpdump
    const net = await import('node:net');
    const server = net.createServer((s) => s.on('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const c = await startCapture('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-w', file('http.pcap'), `tcp port ${port}`]);
    await new Promise<void>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
      sock.on('close', () => resolve());
      sock.resume();
    });
    await new Promise((r) => setTimeout(r, 200));
    await c.stop();
    server.close();
    const r = cli(['pcap', file('http.pcap')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/0 replication links among 1 TCP connections\n.*http\.pcap: no replication link found: capture a replica connecting/s);
  });
});

describe.skipIf(!ready)('passive mode over IPv6', () => {
  it('a replica of a master on ::1, captured by tcpdump: the link and its offsets', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-pcap6-'));
    const servers: RedisServer[] = [];
    try {
      const master = await startRedis({ args: ['--bind', '::1 127.0.0.1'] });
      servers.push(master);
      const pcap = path.join(tmp, 'v6.pcap');
      const c = await startCapture('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-s', '0', '-w', pcap, `ip6 and tcp port ${master.port}`]);
      const replica = await startRedis({ args: ['--replicaof', '::1', String(master.port)] });
      servers.push(replica);
      await waitForLinkUp(replica);
      for (let i = 0; i < 10; i++) await master.cmd('SET', `k${i}`, i);
      const offset = Number((await master.info('replication')).master_repl_offset);
      await waitFor(async () => Number((await replica.info('replication')).slave_repl_offset) === offset, 10_000, 'the replica at the master offset');
      await new Promise((r) => setTimeout(r, 1200)); // its next ACK
      await c.stop();
      const r = cli(['pcap', pcap, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.events.find((e) => e.type === 'link-open')).toMatchObject({ master: `[::1]:${master.port}`, replica: expect.stringMatching(/^\[::1\]:\d+$/) });
      expect(r.events.filter((e) => e.type === 'command').at(-1)?.offset).toBe(offset);
      expect(r.events.filter((e) => e.type === 'ack').at(-1)?.offset).toBe(offset);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
