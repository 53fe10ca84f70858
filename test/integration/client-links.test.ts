// Clients through the same port as a replica, against real Redis and its own tools: redis-benchmark's 50 clients
// (pipelined or not), redis-cli GET, INFO, HELLO 3, SUBSCRIBE and MONITOR, and a client sending garbage. Each is a
// client link (client-open/close, its commands counted, never an RDB or a violation), while the replica on the same
// port is decoded as before. Redis is the oracle: the commands counted equal the calls in INFO commandstats, the
// replica link's last offset equals master_repl_offset.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, startCliProxy, tcpClient, type CliRun } from '../helpers/cli.js';
import { parseInfo, requireRedis, startRedis, startReplicaThrough, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { requireTool } from '../helpers/require-tool.js';
import type { JsonEvent } from '../helpers/spy.js';

const hasRedis = requireRedis();
const missingTools = ['redis-cli', 'redis-benchmark'].filter((t) => spawnSync(t, ['--version']).error);
const hasTools = hasRedis && requireTool(missingTools.length ? `${missingTools.join(', ')} not on PATH (Debian: redis-tools)` : null, 'the client link tests');

/** Every command the server ran, from INFO commandstats: calls per command. */
async function commandCalls(server: RedisServer): Promise<Map<string, number>> {
  const text = String(await server.cmd('INFO', 'commandstats'));
  const out = new Map<string, number>();
  for (const [key, value] of Object.entries(parseInfo(text))) {
    const calls = /calls=(\d+)/.exec(value);
    if (key.startsWith('cmdstat_') && calls) out.set(key.slice(8), Number(calls[1]));
  }
  return out;
}

/** Calls between two readings, leaving out the replica's REPLCONF and our own INFO (not through the proxy). */
function clientCalls(before: Map<string, number>, after: Map<string, number>): number {
  let n = 0;
  for (const [name, calls] of after) if (name !== 'replconf' && name !== 'info') n += calls - (before.get(name) ?? 0);
  return n;
}

describe.skipIf(!hasTools)('client links through the proxy, with a replica on the same port', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let spy: CliRun & { port: number };
  let itemised: CliRun & { port: number };
  const events = (run: CliRun = spy): JsonEvent[] => run.events();
  const ofType = (type: string, run: CliRun = spy) => events(run).filter((e) => e.type === type);
  /** links whose client-close came, with their events */
  const clientLinks = (run: CliRun = spy) => new Set(ofType('client-close', run).map((e) => e.link));

  beforeAll(async () => {
    master = await startRedis({ args: ['--repl-ping-replica-period', '1'] });
    spy = await startCliProxy(master.port, ['--json', '--no-capture']);
    itemised = await startCliProxy(master.port, ['--json', '--no-capture', '--clients']);
    replica = await startReplicaThrough(spy.port);
    await waitForLinkUp(replica);
  });

  afterAll(async () => {
    await replica?.stop();
    await spy?.stop();
    await itemised?.stop();
    await master?.stop();
  });

  const benchmark = (pipeline: number) => {
    const r = spawnSync('redis-benchmark', ['-p', String(spy.port), '-c', '50', '-n', '20000', '-t', 'set,get', '-P', String(pipeline), '-q'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
  };

  it.each([1, 16])('redis-benchmark -c 50 -n 20000 -P %i: client links with the commands it sent, no violation, no event per command', { timeout: 180_000 }, async (pipeline) => {
    const before = await commandCalls(master);
    const seen = new Set(clientLinks());
    const openBefore = ofType('client-open').length;
    benchmark(pipeline);
    const after = await commandCalls(master);
    const sent = clientCalls(before, after);
    expect(sent).toBeGreaterThanOrEqual(40_000);
    const closes = () => ofType('client-close').filter((e) => !seen.has(e.link));
    await waitFor(() => closes().reduce((n, e) => n + e.commands, 0) >= sent, 30_000, 'the client-close totals');
    expect(closes().reduce((n, e) => n + e.commands, 0)).toBe(sent);
    expect(closes().length).toBeGreaterThanOrEqual(100); // 50 clients per test, SET and GET
    expect(ofType('client-open').length - openBefore).toBe(closes().length);
    expect(closes().every((e) => e.requestBytes > 0 && e.replyBytes > 0 && e.kind === 'unknown')).toBe(true);
    expect(ofType('protocol-violation')).toEqual([]);
    expect(ofType('rdb-start').map((e) => e.link)).toEqual([ofType('link-open')[0].link]); // the replica's only
    expect(ofType('client-command')).toEqual([]);
  });

  it('the replica through the same port is still decoded: its last command offset is the master_repl_offset', async () => {
    const links = ofType('link-open');
    expect(links).toHaveLength(1);
    const link = links[0].link;
    let state = '';
    await waitFor(
      async () => {
        const masterOffset = Number((await master.info('replication')).master_repl_offset);
        const replicaOffset = Number((await replica.info('replication')).slave_repl_offset);
        const last = events().filter((e) => e.type === 'command' && e.link === link).at(-1)?.offset;
        state = JSON.stringify({ masterOffset, replicaOffset, last });
        return last === masterOffset && replicaOffset === masterOffset;
      },
      20_000,
      'the decoded offset at the master offset',
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${state}`);
    });
    expect(ofType('command').every((e) => e.link === link)).toBe(true);
  });

  /** Runs redis-cli through `run`'s port; for a command that never ends (SUBSCRIBE, MONITOR) until `until` holds. */
  async function redisCli(run: CliRun & { port: number }, args: string[], until?: (out: string) => boolean): Promise<string> {
    const child = spawn('redis-cli', ['-p', String(run.port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    if (until) {
      await waitFor(() => until(out), 10_000, `redis-cli ${args.join(' ')} output`).finally(() => child.kill('SIGTERM'));
    }
    await exited;
    return out;
  }

  it('redis-cli GET, INFO, HELLO 3, SUBSCRIBE, MONITOR: client links, no RDB, no violation; --clients pairs the replies', { timeout: 60_000 }, async () => {
    await master.cmd('SET', 'k', 'x');
    for (const run of [spy, itemised]) {
      const seen = new Set(clientLinks(run));
      expect(await redisCli(run, ['GET', 'k'])).toBe('x\n');
      expect(await redisCli(run, ['INFO'])).toContain('redis_version:');
      expect(await redisCli(run, ['-3', 'HELLO', '3'])).toContain('proto');
      const published = setInterval(() => void master.cmd('PUBLISH', 'news', 'hello').catch(() => undefined), 50);
      try {
        expect(await redisCli(run, ['SUBSCRIBE', 'news'], (out) => out.includes('hello'))).toContain('hello');
        const monitored = setInterval(() => void master.cmd('SET', 'watched', '1').catch(() => undefined), 50);
        await redisCli(run, ['MONITOR'], (out) => out.includes('"watched"')).finally(() => clearInterval(monitored));
      } finally {
        clearInterval(published);
      }
      await waitFor(() => clientLinks(run).size - seen.size >= 5, 10_000, 'five client-close');
      const mine = [...clientLinks(run)].filter((l) => !seen.has(l));
      const theirs = events(run).filter((e) => mine.includes(e.link));
      expect(theirs.filter((e) => ['rdb-start', 'protocol-violation', 'link-open', 'replica-command', 'master-reply'].includes(e.type))).toEqual([]);
      expect(theirs.filter((e) => e.type === 'client-open')).toHaveLength(mine.length);
    }
    const replies = ofType('client-command', itemised).map((e) => [e.argv[0].toUpperCase(), e.reply]);
    expect(replies).toEqual(expect.arrayContaining([['GET', '$1'], ['INFO', expect.stringMatching(/^\$\d+$/)], ['HELLO', '%7'], ['SUBSCRIBE', '*3'], ['MONITOR', '+OK']]));
    expect(ofType('client-command', spy)).toEqual([]);
  });

  it('garbage from a client: a clear event, what the server answered reaches the client, the proxy keeps running', { timeout: 30_000 }, async () => {
    const seen = new Set(clientLinks());
    const c = tcpClient(spy.port);
    c.socket.write('*1\r\n$4\r\nPING\r\n*x\r\nhello\r\n');
    await c.closed; // Redis answers -ERR Protocol error and closes
    expect(c.received().toString()).toMatch(/^\+PONG\r\n-ERR Protocol error/);
    await waitFor(() => [...clientLinks()].some((l) => !seen.has(l)), 10_000, 'its client-close');
    const link = [...clientLinks()].find((l) => !seen.has(l))!;
    const mine = events().filter((e) => e.link === link);
    expect(mine.map((e) => e.type)).toEqual(['client-open', 'protocol-violation', 'client-close']);
    expect(mine[1]).toMatchObject({ from: 'replica', code: 'RSPY_DECODE_BAD_LENGTH', pos: 15 });
    expect(mine[1].message).toMatch(/from a client/);
    expect(mine[2]).toMatchObject({ commands: 1, requestBytes: 25 });
    expect(await redisCli(spy, ['PING'])).toBe('PONG\n');
    expect(spy.proc.exitCode).toBeNull();
  });

  it('the capture records client links: replay shows the same client-open, client-close and violations (--capture-rdb none keeps their replies)', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-clients-'));
    const file = path.join(dir, 'clients.rspy');
    try {
      const captured = await startCliProxy(master.port, ['--json', '--capture', file, '--capture-rdb', 'none']);
      await redisCli(captured, ['GET', 'k']);
      await redisCli(captured, ['INFO']);
      await redisCli(captured, ['CLIENT', 'SETNAME', 'sentinel-0000000a-cmd']);
      const garbage = tcpClient(captured.port);
      garbage.socket.write('*x\r\n');
      await garbage.closed;
      const r = spawnSync('redis-benchmark', ['-p', String(captured.port), '-c', '5', '-n', '2000', '-t', 'get', '-q'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      await waitFor(() => captured.events().filter((e) => e.type === 'client-close').length >= 9, 10_000, 'the client-close of every client');
      await captured.stop();
      const clientEvents = (list: JsonEvent[]) => list.filter((e) => e.type.startsWith('client-') || e.type === 'protocol-violation');
      const live = clientEvents(captured.events());
      expect(live.filter((e) => e.type === 'client-close').reduce((n, e) => n + e.commands, 0)).toBeGreaterThanOrEqual(2003);
      const replay = spawnSync(process.execPath, [cliPath, 'replay', file, '--json'], { encoding: 'utf8', timeout: 60_000 });
      expect(replay.stderr).toBe('');
      const replayed = replay.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as JsonEvent);
      expect(clientEvents(replayed)).toEqual(live);
      expect(replayed.filter((e) => e.type === 'gap' && e.reason === 'rdb-elided').map((e) => e.link)).toEqual([]); // no replica here
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
