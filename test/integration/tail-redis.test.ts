// `repl-spy tail` against real servers: it follows the stream with +CONTINUE (the master never forks), sees
// every command once and in order with the master's own offsets, resumes exactly after cuts, and stays out of
// the topology (INFO lists it at an address nobody can reach, one byte short, so FAILOVER passes it by).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, redisPool, requireRedis, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { offsetsAreExact, pipelinedSets, setIndexes, startForwarder, startSetLoad, startTailCli, waitCaughtUp } from '../helpers/tail.js';

const hasRedis = requireRedis();

describe.skipIf(!hasRedis)('repl-spy tail against a real master', () => {
  const pool = redisPool();
  let master: RedisServer;
  let replica: RedisServer;

  beforeAll(async () => {
    // a backlog that holds what tail may be behind when a cut comes at the master's full write rate
    master = await pool.start({ args: ['--repl-backlog-size', '64mb'] });
    // a real replica's first sync creates the master's backlog (one fork, before anything is measured)
    replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitForLinkUp(replica);
  });
  afterAll(() => pool.stopAll());

  it('1M pipelined SETs: each seen once, in order, with exact offsets, the last at master_repl_offset; total_forks unchanged', async () => {
    const forks = (await master.info('stats')).total_forks;
    const tail = await startTailCli([`127.0.0.1:${master.port}`]);
    try {
      await pipelinedSets(master.port, 0, 1_000_000);
      const last = await waitCaughtUp(tail, master, 60_000);
      const events = tail.events();
      const sets = setIndexes(events);
      expect(sets.length).toBe(1_000_000);
      expect(sets.every((n, i) => n === i)).toBe(true);
      expect(offsetsAreExact(events)).toBe(true);
      expect(events.filter((e) => e.type === 'command').at(-1)!.offset).toBe(last);
      expect((await master.info('stats')).total_forks).toBe(forks);
      // the master lists it where nobody can connect, acknowledged one byte short of what it decoded (of the master's
      // offset now: a PING of the master may have come since)
      const listed = async (): Promise<string | undefined> => Object.values(await master.info('replication')).find((v) => v.startsWith('ip=repl-spy-tail.invalid,'));
      const oneShort = async (): Promise<boolean> => {
        const offset = Number((await master.info('replication')).master_repl_offset);
        return (await listed())?.includes(`offset=${offset - 1},`) ?? false;
      };
      await waitFor(oneShort, 10_000, 'the ACK of the tail');
      expect(await listed()).toMatch(/^ip=repl-spy-tail\.invalid,port=0,state=online,offset=\d+,lag=\d+$/);
      expect(tail.events().some((e) => e.type === 'ack' || e.type === 'lag')).toBe(false);
    } finally {
      await tail.stop();
    }
  }, 120_000);

  it('5 cuts during a write load (3× CLIENT KILL TYPE replica, 2× a killed proxy in between): no command lost, none repeated', async () => {
    const proxyPort = await freePort();
    let proxy = await startForwarder(proxyPort, master.port);
    const base = 2_000_000;
    const tail = await startTailCli([`127.0.0.1:${proxyPort}`]);
    try {
      const load = startSetLoad(master.port, base, { batch: 2_000 });
      const cuts: string[] = [];
      const continued = (): number => tail.stderr().match(/continued \w+:\d+ with \+CONTINUE/g)?.length ?? 0;
      for (const cut of ['kill', 'proxy', 'kill', 'proxy', 'kill']) {
        // each cut on a link of its own: tail continued after the one before, and saw more of the load since
        await waitFor(() => continued() === cuts.length, 30_000, `tail to continue after cut ${cuts.length}`);
        const before = tail.stdout().length;
        await waitFor(() => tail.stdout().length > before + 100_000, 30_000, 'tail to see more of the load');
        if (cut === 'kill') {
          await master.cmd('CLIENT', 'KILL', 'TYPE', 'replica');
        } else {
          await proxy.kill();
          await new Promise((r) => setTimeout(r, 200)); // tail finds nobody there meanwhile
          proxy = await startForwarder(proxyPort, master.port);
        }
        cuts.push(cut);
      }
      const total = await load.stop();
      await waitFor(() => continued() === cuts.length, 30_000, 'tail to continue after the last cut');
      await waitCaughtUp(tail, master, 60_000);
      const events = tail.events();
      const links = new Set(events.filter((e) => e.type === 'link-open').map((e) => e.link));
      expect(links.size).toBe(cuts.length + 1);
      expect(events.filter((e) => e.type === 'continue')).toHaveLength(links.size);
      const sets = setIndexes(events).filter((n) => n >= base);
      expect(sets.length).toBe(total);
      expect(sets.every((n, i) => n === base + i)).toBe(true);
      expect(offsetsAreExact(events)).toBe(true);
      expect(tail.stderr()).toMatch(/continued \w+:\d+ with \+CONTINUE: no snapshot, no fork, no command lost or repeated/);
    } finally {
      await tail.stop();
      await proxy.kill();
    }
  }, 120_000);

  it('--from REPLID:OFFSET starts after that offset, with history still in the backlog', async () => {
    const tail = await startTailCli([`127.0.0.1:${master.port}`]);
    let from = '';
    try {
      await pipelinedSets(master.port, 5_000_000, 10);
      await waitCaughtUp(tail, master);
      const third = tail.events().find((e) => e.type === 'command' && e.argv[1] === 'k:5000002')!;
      from = `${(await master.info('replication')).master_replid}:${third.offset}`;
    } finally {
      await tail.stop();
    }
    expect(tail.stderr()).toMatch(/stopped at \w+:\d+ \(continue with --from \w+:\d+\)/);
    const again = await startTailCli([`127.0.0.1:${master.port}`, '--from', from]);
    try {
      await waitCaughtUp(again, master);
      expect(setIndexes(again.events())).toEqual([5_000_003, 5_000_004, 5_000_005, 5_000_006, 5_000_007, 5_000_008, 5_000_009]);
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('FAILOVER (without TO) promotes the caught-up real replica, never tail (it acknowledges one byte short)', async () => {
    const tail = await startTailCli([`127.0.0.1:${master.port}`]);
    try {
      await master.cmd('SET', 'wait:1', 'x');
      await waitCaughtUp(tail, master);
      expect(await master.cmd('FAILOVER', 'TIMEOUT', 10_000)).toBe('OK');
      await waitFor(async () => (await replica.info('replication')).role === 'master', 15_000, 'the replica to be promoted');
      expect((await master.info('replication')).master_port).toBe(String(replica.port));
    } finally {
      await tail.stop();
    }
  }, 60_000);
});

describe.skipIf(!hasRedis)('repl-spy tail on a master without a backlog', () => {
  const pool = redisPool();
  afterAll(() => pool.stopAll());

  it('stops with exit 6 and says why, without a fork and without creating a backlog', async () => {
    const master = await pool.start();
    await master.cmd('SET', 'a', '1');
    const tail = await startTailCli([`127.0.0.1:${master.port}`], { following: false });
    const { code } = await tail.exited;
    expect(code).toBe(6);
    expect(tail.stderr()).toMatch(/cannot continue the stream .* without a full sync: the master has no replication backlog .*--allow-full-sync/);
    const info = await master.info('replication');
    expect(info.repl_backlog_active).toBe('0');
    expect((await master.info('stats')).total_forks).toBe('0');
  }, 30_000);

  it('--allow-full-sync: one fork, for the smallest RDB (rdb-filter-only ""), then the stream', async () => {
    const master = await pool.start();
    await master.cmd('DEBUG', 'POPULATE', 1000);
    const run = await startTailCli([`127.0.0.1:${master.port}`, '--allow-full-sync'], { following: false });
    try {
      await waitFor(() => run.events().some((e) => e.type === 'rdb-end'), 20_000, 'the full sync');
      await master.cmd('SET', 'after', 'sync');
      await waitCaughtUp(run, master);
      const events = run.events();
      expect(events.filter((e) => e.type === 'replica-command').map((e) => e.argv.join(' '))).toContain('REPLCONF rdb-filter-only ');
      // the master holds 1000 keys; the RDB it sent holds none
      expect(events.find((e) => e.type === 'rdb-info' && e.phase === 'summary')?.info.keys).toBe(0);
      expect(events.some((e) => e.type === 'command' && e.argv[1] === 'after')).toBe(true);
      expect((await master.info('stats')).total_forks).toBe('1');
      expect(run.stderr()).toMatch(/--allow-full-sync: taking a full sync/);
    } finally {
      await run.stop();
    }
  }, 30_000);
});
