// Capture → replay against real Redis. A master and two replicas through the proxy, capture on: replica A
// attaches to an empty master, a workload runs (several dbs, MULTI/EXEC, expiries), replica B attaches (its
// RDB holds that data), more workload. Then, through the built CLI:
// - `replay --json` prints exactly the live `--json` events, field for field;
// - `replay --to` (link B: snapshot + stream) and `export --format resp | redis-cli --pipe` (link A: the whole
//   stream) give fresh servers the master's DEBUG DIGEST;
// - a capture cut at a record boundary replays everything before the cut, then names the file and offset.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCaptureWriter, type CaptureWriter } from '../../src/capture/writer.js';
import { createPipeline } from '../../src/decode/pipeline.js';
import { makeRdbSink } from '../../src/decode/rdb-sink.js';
import { keySlot } from '../../src/core/key-slot.js';
import { jsonLine } from '../../src/output/json-output.js';
import { startProxy, type Proxy } from '../../src/proxy/index.js';
import { requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const cli = path.join(repoRoot, 'dist/cli.js');
const ready = requireRedis();

function runCli(args: string[], input?: Buffer) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, input, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe.skipIf(!ready)('capture and replay with real Redis', () => {
  const servers: RedisServer[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-capture-it-'));
  const file = path.join(tmp, 'live.rspy');
  const live: string[] = [];
  let master: RedisServer;
  let proxy: Proxy;
  let capture: CaptureWriter;
  let linkA = 0;
  let linkB = 0;
  let masterDigest = '';

  beforeAll(async () => {
    master = await startRedis();
    servers.push(master);
    const pipeline = createPipeline({ rdbSink: makeRdbSink });
    pipeline.subscribe((e) => live.push(jsonLine(e)));
    capture = openCaptureWriter({ path: file, upstream: `127.0.0.1:${master.port}`, captureRdb: 'full', captureSecrets: false });
    proxy = await startProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port: master.port },
      onWire: (e) => {
        capture.wire(e);
        pipeline.wire(e);
      },
    });
    const port = proxy.address().port;
    const a = await startReplicaThrough(port);
    servers.push(a);
    await waitForLinkUp(a, 20_000);
    await master.cmd('SET', 'k1', 'v1');
    await master.cmd('HSET', 'h', 'f1', 'v1', 'f2', 'v2');
    await master.cmd('SELECT', '3');
    await master.cmd('SET', 'db3', 'x');
    await master.cmd('LPUSH', 'list', 'a', 'b', 'c');
    await master.cmd('SELECT', '0');
    await master.cmd('MULTI');
    await master.cmd('SET', 'tx1', 'a');
    await master.cmd('INCR', 'counter');
    await master.cmd('EXEC');
    await master.cmd('EXPIRE', 'k1', '100000'); // arrives as PEXPIREAT
    await master.cmd('SET', 'short', 'v', 'PX', '50'); // expires while we wait: the master propagates a DEL

    const b = await startReplicaThrough(port);
    servers.push(b);
    await waitForLinkUp(b, 20_000);
    await master.cmd('SELECT', '5');
    await master.cmd('ZADD', 'z', '1', 'one', '2', 'two');
    await master.cmd('MULTI');
    await master.cmd('SADD', 's', 'x', 'y');
    await master.cmd('SET', 'big', 'v'.repeat(5000));
    await master.cmd('EXEC');
    await master.cmd('SELECT', '0');
    await master.cmd('DEL', 'tx1');
    await waitFor(async () => (await master.cmd('EXISTS', 'short')) === 0, 5_000, 'short key expired');

    const links = live.filter((l) => l.includes('"type":"link-open"')).map((l) => JSON.parse(l).link as number);
    [linkA, linkB] = links;
    // Everyone caught up: both replicas at the master offset, and the capture saw the ACKs that say so.
    await waitFor(
      async () => {
        const offset = Number((await master.info('replication')).master_repl_offset);
        const replicas = await Promise.all([a, b].map(async (r) => Number((await r.info('replication')).slave_repl_offset)));
        const acks = [linkA, linkB].map((link) => live.filter((l) => l.includes('"type":"ack"') && JSON.parse(l).link === link).map((l) => JSON.parse(l).offset).at(-1));
        return replicas.every((o) => o === offset) && acks.every((o) => o === offset);
      },
      20_000,
      'replicas and ACKs at the master offset',
    );
    masterDigest = String(await master.cmd('DEBUG', 'DIGEST'));
    await proxy.close();
    const at = Date.now();
    pipeline.end(at);
    await capture.close(at);
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the live run decoded what the test did (two links, several dbs, MULTI/EXEC, expiry)', () => {
    const commands = live.filter((l) => l.includes('"type":"command"')).map((l) => JSON.parse(l) as { link: number; db: number; argv: string[] });
    const names = (link: number) => commands.filter((c) => c.link === link).map((c) => c.argv[0]!.toUpperCase());
    expect(names(linkA)).toEqual(expect.arrayContaining(['SELECT', 'SET', 'MULTI', 'EXEC', 'PEXPIREAT', 'DEL', 'ZADD', 'SADD']));
    expect(commands.some((c) => c.argv[0] === 'ZADD' && c.db === 5)).toBe(true);
    expect(live.filter((l) => l.includes('"type":"fullresync"'))).toHaveLength(2);
    // link B's snapshot holds data, so `replay --to` below really loads an RDB
    const summaryB = live.map((l) => JSON.parse(l)).find((e) => e.type === 'rdb-info' && e.phase === 'summary' && e.link === linkB);
    expect(summaryB.info.keys).toBeGreaterThan(3);
  });

  it('replay --json prints the live events, field for field', () => {
    const r = runCli(['replay', file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.toString().trimEnd().split('\n')).toEqual(live);
  });

  it('replay --no-rdb-analysis: the same events without the snapshot analysis (the flag reaches the subcommand)', () => {
    const r = runCli(['replay', file, '--json', '--no-rdb-analysis']);
    expect(r.status).toBe(0);
    const lines = r.stdout.toString().trimEnd().split('\n');
    expect(lines).toEqual(live.filter((l) => !l.includes('"type":"rdb-info"')));
    expect(lines.length).toBeLessThan(live.length);
  });

  it('replay --to gives a fresh server the master dataset (snapshot + stream of link B)', async () => {
    const target = await startRedis();
    servers.push(target);
    const r = runCli(['replay', file, '--to', `127.0.0.1:${target.port}`, '--link', String(linkB)]);
    expect(r.stderr).toMatch(/loaded link/);
    expect(r.status).toBe(0);
    expect((await target.info('replication')).role).toBe('master');
    expect(String(await target.cmd('DEBUG', 'DIGEST'))).toBe(masterDigest);
    await target.stop();
  });

  it('export --format resp | redis-cli --pipe gives a fresh server the master dataset (whole stream of link A)', async () => {
    const target = await startRedis();
    servers.push(target);
    const r = runCli(['export', file, '--format', 'resp', '--link', String(linkA)]);
    expect(r.status).toBe(0);
    const pipe = spawnSync('redis-cli', ['-p', String(target.port), '--pipe'], { input: r.stdout });
    expect(pipe.stdout.toString()).toMatch(/errors: 0, replies: \d+/);
    expect(String(await target.cmd('DEBUG', 'DIGEST'))).toBe(masterDigest);
    await target.stop();
  });

  it('export --format jsonl is the event stream', () => {
    const r = runCli(['export', file, '--format', 'jsonl']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString().trimEnd().split('\n')).toEqual(live);
  });

  it('export and replay --slot keep the commands whose keys hash there, and every other event', () => {
    const slot = keySlot(Buffer.from('counter'));
    const kept = live.filter((l) => !l.includes('"type":"command"') || JSON.parse(l).slot === slot);
    expect(kept.filter((l) => l.includes('"type":"command"')).length).toBeGreaterThan(0);
    for (const args of [['export', file, '--format', 'jsonl'], ['replay', file, '--json']]) {
      const r = runCli([...args, '--slot', String(slot)]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.toString().trimEnd().split('\n')).toEqual(kept);
    }
    const bad = runCli(['export', file, '--format', 'jsonl', '--slot', '16384']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--slot: a slot is N or A-B with 0 <= N < 16384, got "16384"/);
  });

  it('export --format resp --slot 0-8191 | redis-cli --pipe gives a fresh server exactly the master keys of those slots', async () => {
    const target = await startRedis();
    servers.push(target);
    const r = runCli(['export', file, '--format', 'resp', '--link', String(linkA), '--slot', '0-8191']);
    expect(r.status, r.stderr).toBe(0);
    const pipe = spawnSync('redis-cli', ['-p', String(target.port), '--pipe'], { input: r.stdout });
    expect(pipe.stdout.toString()).toMatch(/errors: 0, replies: \d+/);
    let outOfRange = 0; // the filter has something to leave out
    for (const db of ['0', '3', '5']) {
      await master.cmd('SELECT', db);
      await target.cmd('SELECT', db);
      const all = (await master.cmd('KEYS', '*')) as string[];
      const inRange = all.filter((k) => keySlot(Buffer.from(k)) <= 8191).sort();
      outOfRange += all.length - inRange.length;
      expect(((await target.cmd('KEYS', '*')) as string[]).sort(), `db ${db}`).toEqual(inRange);
      for (const key of inRange) expect(await target.cmd('DEBUG', 'DIGEST-VALUE', key), key).toEqual(await master.cmd('DEBUG', 'DIGEST-VALUE', key));
    }
    expect(outOfRange).toBeGreaterThan(0);
    await master.cmd('SELECT', '0');
    await target.stop();
  });

  it('a capture cut at a record boundary: every event before the cut, then the file and offset', () => {
    const whole = readFileSync(file);
    // walk the records to the one in the middle
    let offset = 14 + whole.readUInt32BE(10) + 4;
    const starts: number[] = [];
    while (offset < whole.length) {
      starts.push(offset);
      offset += 4 + whole.readUInt32BE(offset) + 4;
    }
    const cutAt = starts[Math.floor(starts.length / 2)]!;
    const cut = path.join(tmp, 'cut.rspy');
    writeFileSync(cut, whole.subarray(0, cutAt));
    const r = runCli(['replay', cut, '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${cut}: byte ${cutAt}: the capture ends without its end record`);
    const lines = r.stdout.toString().trimEnd().split('\n');
    // the decoder closes the links still open at the cut; everything before is the live run's (a link still in its
    // handshake at the cut shows its held events then: the live run's too)
    const closing = lines.findIndex((l, i) => l !== live[i]);
    expect(closing).toBeGreaterThan(10);
    expect(lines.slice(closing).every((l) => l.includes('"type":"link-close"') || live.includes(l))).toBe(true);
  });
});
