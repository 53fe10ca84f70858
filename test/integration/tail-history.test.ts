// `repl-spy tail` when the master's history moves: a master restart (from its RDB it keeps the history as replid2;
// from its AOF it starts a new one) and a Sentinel failover (real redis-sentinel; `--follow` asks it for the
// master). Tail continues when the history allows it, with no command lost or repeated, and says clearly when it
// does not.
import { afterAll, describe, expect, it } from 'vitest';
import { redisPool, requireRedis, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { requireSentinel, startSentinel, type Sentinel } from '../helpers/sentinel.js';
import { infoReader, offsetsAreExact, pipelinedSets, setIndexes, startTailCli, waitCaughtUp } from '../helpers/tail.js';

const hasRedis = requireRedis();
const hasSentinel = hasRedis && requireSentinel();

async function masterWithReplica(pool: ReturnType<typeof redisPool>, args: string[]): Promise<{ master: RedisServer; replica: RedisServer }> {
  const master = await pool.start({ args });
  const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  await waitForLinkUp(replica);
  return { master, replica };
}

describe.skipIf(!hasRedis)('repl-spy tail across a master restart', () => {
  const pool = redisPool();
  afterAll(() => pool.stopAll());

  it('from its RDB: the master keeps the history as replid2, tail continues on the new replid, nothing lost or repeated', async () => {
    // shutdown-timeout: SIGTERM waits that long for replicas to acknowledge everything, tail never does (see --help)
    const { master } = await masterWithReplica(pool, ['--save', '3600 1', '--shutdown-timeout', '1']);
    const tail = await startTailCli([`127.0.0.1:${master.port}`]);
    try {
      await pipelinedSets(master.port, 0, 1000);
      await waitCaughtUp(tail, master);
      const before = (await master.info('replication')).master_replid;
      await master.restart(); // SIGTERM: saves the RDB with its replication id and offset
      await pipelinedSets(master.port, 1000, 1000);
      await waitCaughtUp(tail, master);
      const events = tail.events();
      expect(setIndexes(events)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
      expect(offsetsAreExact(events)).toBe(true);
      const continues = events.filter((e) => e.type === 'continue');
      expect(continues).toHaveLength(2);
      expect(continues[1]!.replid).not.toBe(before);
      expect(tail.stderr()).toMatch(/a new history \w+ \(after a failover or a restart\): following it/);
    } finally {
      await tail.stop();
    }
  }, 60_000);

  it('from its AOF: a new history without a backlog; tail says so and stops with exit 6, the master does not fork', async () => {
    const { master } = await masterWithReplica(pool, ['--appendonly', 'yes', '--save', '', '--shutdown-timeout', '1']);
    const tail = await startTailCli([`127.0.0.1:${master.port}`]);
    await pipelinedSets(master.port, 0, 100);
    await waitCaughtUp(tail, master);
    const replid = (await master.info('replication')).master_replid;
    await master.restart();
    const forks = (await master.info('stats')).total_forks;
    const { code } = await tail.exited;
    expect(code).toBe(6);
    expect(tail.stderr()).toMatch(new RegExp(`cannot continue the stream at ${replid}:\\d+ without a full sync: replid unknown to the master.*did it restart\\?`));
    expect((await master.info('stats')).total_forks).toBe(forks);
  }, 60_000);
});

describe.skipIf(!hasSentinel)('repl-spy tail --follow sentinel:// across a failover', () => {
  const pool = redisPool();
  const sentinels: Sentinel[] = [];
  afterAll(async () => {
    await Promise.all(sentinels.map((s) => s.stop()));
    await pool.stopAll();
  });

  it('follows the promoted replica with +CONTINUE <new replid>: every command once; Sentinel never lists tail', async () => {
    const { master, replica } = await masterWithReplica(pool, []);
    const sentinel = await startSentinel('tailed', master.port);
    sentinels.push(sentinel);
    await waitFor(async () => ((await sentinel.cmd('SENTINEL', 'replicas', 'tailed')) as unknown[]).length === 1, 20_000, 'Sentinel to find the replica');
    const tail = await startTailCli(['--follow', `sentinel://127.0.0.1:${sentinel.port}/tailed`]);
    try {
      await pipelinedSets(master.port, 0, 5000);
      await waitCaughtUp(tail, master);
      await waitFor(async () => (await replica.info('replication')).slave_repl_offset === (await master.info('replication')).master_repl_offset, 10_000, 'the replica to catch up');
      expect(await sentinel.cmd('SENTINEL', 'failover', 'tailed')).toBe('OK');
      const promoted = infoReader(replica.port);
      await waitFor(async () => (await promoted.info('replication')).role === 'master', 30_000, 'Sentinel to promote the replica');
      await pipelinedSets(replica.port, 5000, 5000);
      await waitCaughtUp(tail, promoted);
      const events = tail.events();
      expect(setIndexes(events)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
      // the old master may have pinged after the promotion point: tail then goes back there (no data lost)
      expect(offsetsAreExact(events, { rewound: /bytes of pings tail saw of the old master/.test(tail.stderr()) })).toBe(true);
      const replid = (await promoted.info('replication')).master_replid;
      expect(events.filter((e) => e.type === 'continue').at(-1)!.replid).toBe(replid);
      // Sentinel knows the old master as a replica now, and never knew tail (port 0, an unresolvable name)
      const listed = (await sentinel.cmd('SENTINEL', 'replicas', 'tailed')) as string[][];
      const addresses = listed.map((fields) => `${fields[fields.indexOf('ip') + 1]}:${fields[fields.indexOf('port') + 1]}`);
      expect(addresses).toEqual([`127.0.0.1:${master.port}`]);
    } finally {
      await tail.stop();
    }
  }, 90_000);

  it('says clearly when the promoted replica lacks commands tail saw (past the failover point), and stops with exit 6', async () => {
    const { master, replica } = await masterWithReplica(pool, []);
    const sentinel = await startSentinel('ahead', master.port);
    sentinels.push(sentinel);
    await waitFor(async () => ((await sentinel.cmd('SENTINEL', 'replicas', 'ahead')) as unknown[]).length === 1, 20_000, 'Sentinel to find the replica');
    const tail = await startTailCli(['--follow', `sentinel://127.0.0.1:${sentinel.port}/ahead`]);
    await pipelinedSets(master.port, 0, 100);
    await waitFor(async () => (await replica.info('replication')).slave_repl_offset === (await master.info('replication')).master_repl_offset, 10_000, 'the replica to catch up');
    // the replica is frozen and loses its link: it misses what follows, tail (back at once) sees it
    replica.pause();
    await master.cmd('CLIENT', 'KILL', 'TYPE', 'replica');
    await waitFor(() => /continued/.test(tail.stderr()), 10_000, 'tail to continue after the cut');
    await pipelinedSets(master.port, 100, 100);
    await waitCaughtUp(tail, master);
    master.pause(); // down for Sentinel, while its connections stay open: tail leaves it when Sentinel names another
    replica.resume();
    const { code } = await Promise.race([tail.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`tail did not stop: ${tail.stderr()}`)), 60_000))]);
    expect(code).toBe(6);
    expect(tail.stderr()).toMatch(/cannot continue the stream at \w+:\d+ without a full sync: replid \w+… is the master's previous history, but it ends at offset \d+/);
  }, 90_000);
});
