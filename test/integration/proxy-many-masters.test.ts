// One repl-spy in front of several masters: `--upstream A --listen P --upstream B=Q`, one event stream and one
// capture, every event naming the master of its link, link ids unique over the listeners; the decoded offsets of
// each master's replicas equal that master's INFO. The usage errors of pairing listeners with masters exit 2.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, redisPool, requireRedis, startReplicaThrough, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { runCli, type CliRun } from '../helpers/cli.js';

const hasRedis = requireRedis();

describe.skipIf(!hasRedis)('one repl-spy, many masters', () => {
  const pool = redisPool();
  let masters: RedisServer[];
  let replicas: RedisServer[];
  let proxy: CliRun;
  let ports: number[];
  let tmp: string;
  let capture: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-many-'));
    capture = path.join(tmp, 'many.rspy');
    masters = [await pool.start(), await pool.start()];
    ports = [await freePort(), await freePort()];
    proxy = runCli([
      '--upstream', `127.0.0.1:${masters[0]!.port}`, '--listen', `127.0.0.1:${ports[0]}`,
      '--upstream', `127.0.0.1:${masters[1]!.port}=${ports[1]}`,
      '--json', '--capture', capture,
    ]);
    await waitFor(() => /listening on/.test(proxy.stderr()), 10_000, 'repl-spy to listen');
    // master 1 has one replica, master 2 two
    // the third announces a listener of repl-spy as its address (as the production recipe has each server announce its own)
    const announce = ['--replica-announce-ip', '127.0.0.1', '--replica-announce-port', String(ports[0])];
    replicas = [await startReplicaThrough(ports[0]!), await startReplicaThrough(ports[1]!), await startReplicaThrough(ports[1]!, { args: announce })];
    for (const r of replicas) await waitForLinkUp(r);
  });

  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()));
    await proxy?.stop();
    await pool.stopAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('every event names its master; each master\'s last command offset is its master_repl_offset', async () => {
    for (const [i, m] of masters.entries()) for (let k = 0; k < 20 * (i + 1); k++) await m.cmd('SET', `k${k}`, `m${i}`);
    const name = (m: RedisServer) => `127.0.0.1:${m.port}`;
    const offsets = await Promise.all(masters.map(async (m) => Number((await m.info('replication')).master_repl_offset)));
    const lastCommand = (link: number) => proxy.events().filter((e) => e.type === 'command' && e.link === link).at(-1)?.offset;
    const linksOf = (m: RedisServer) => proxy.events().filter((e) => e.type === 'link-open' && e.master === name(m)).map((e) => e.link as number);
    await waitFor(() => masters.every((m, i) => linksOf(m).length === i + 1 && linksOf(m).every((l) => lastCommand(l) === offsets[i])), 20_000, 'every link at its master\'s offset');

    const events = proxy.events();
    for (const e of events) expect(e.master, JSON.stringify(e)).toBeTypeOf('string');
    const opens = events.filter((e) => e.type === 'link-open');
    expect(new Set(opens.map((e) => e.link)).size).toBe(3); // one id space over both listeners
    const masterOfLink = new Map(opens.map((e) => [e.link, e.master]));
    for (const e of events) expect(e.master).toBe(masterOfLink.get(e.link));
    // the replid each link's full sync names is its own master's
    for (const m of masters) {
      const { master_replid } = await m.info('replication');
      for (const link of linksOf(m)) expect(events.find((e) => e.type === 'fullresync' && e.link === link)?.replid).toBe(master_replid);
    }
  });

  it('at each PSYNC, the address the master knows the replica by: a replica that does not announce a listener is named as one Sentinel reaches directly', () => {
    const addresses = proxy.events().filter((e) => e.type === 'replica-address');
    const direct = replicas.slice(0, 2).map((r) => addresses.find((e) => e.seenAs === `127.0.0.1:${r.port}`));
    for (const e of direct) {
      expect(e).toMatchObject({ throughProxy: false, announcedIp: false });
      expect(e?.warning).toMatch(/not a listener of repl-spy: Sentinel reaches it there directly/);
    }
    expect(addresses.find((e) => e.seenAs === `127.0.0.1:${ports[0]}`)).toMatchObject({ throughProxy: true, announcedIp: true });
  });

  it('one capture holds both masters: replay names them as live did', async () => {
    const live = proxy.events().filter((e) => e.type === 'link-open');
    const replay = runCli(['replay', capture, '--json', '--speed', 'max']);
    await replay.exited;
    const opens = replay.events().filter((e) => e.type === 'link-open');
    expect(opens.map((e) => [e.link, e.master])).toEqual(live.map((e) => [e.link, e.master]));
  });
});

describe('pairing listeners with masters: usage errors exit 2', () => {
  it('mismatched counts, the same port twice, a listener missing after "="', async () => {
    const cases: [string[], RegExp][] = [
      [['--upstream', '127.0.0.1:6379', '--upstream', '127.0.0.1:6380', '--listen', '7001'], /2 --upstream but 1 --listen: each master needs its own listener/],
      [['--upstream', '127.0.0.1:6379', '--listen', '7001', '--listen', '7002'], /1 --upstream but 2 --listen/],
      [['--upstream', '127.0.0.1:6379=7001', '--upstream', '127.0.0.1:6380', '--listen', '7001'], /listen port 7001 is given twice \(for 127\.0\.0\.1:6379 and 127\.0\.0\.1:6380\)/],
      [['--upstream', '127.0.0.1:6379='], /the listen port after "=" is missing/],
    ];
    for (const [args, message] of cases) {
      const run = runCli([...args, '--no-capture']);
      expect(await run.exited, args.join(' ')).toEqual({ code: 2, signal: null });
      expect(run.stderr(), args.join(' ')).toMatch(message);
      expect(run.stderr().trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('a second listener whose port is in use: exit 3 naming it, the first listener closed again', async () => {
    const busy = await import('node:net').then((net) => net.createServer().listen(0, '127.0.0.1'));
    await new Promise((r) => busy.once('listening', r));
    const taken = (busy.address() as { port: number }).port;
    const free = await freePort();
    try {
      const run = runCli(['--upstream', '127.0.0.1:6379', '--listen', String(free), '--upstream', '127.0.0.1:6380', '--listen', String(taken), '--no-capture', '--json']);
      expect((await run.exited).code).toBe(3);
      expect(run.stderr()).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken}: the address is already in use`));
    } finally {
      busy.close();
    }
  });
});
