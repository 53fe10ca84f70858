// The seed's experiment, decoded live: one master, three replicas (requirepass/masterauth), disk-based sync with a
// slow BGSAVE so the three replicas share one snapshot. Redis is the oracle: INFO offsets, DEBUG DIGEST.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { startSpy, waitForCaughtUp, type JsonEvent, type Spy } from '../helpers/spy.js';

const hasRedis = requireRedis();
const PASSWORD = 'seed-Pa55-7c1e9b';
// 3000 keys at 1 ms each: the BGSAVE lasts ~3 s, long enough for the three replicas to join it.
const SNAPSHOT_KEYS = 3000;
const KEY_SAVE_DELAY_US = 1000;

describe.skipIf(!hasRedis)('seed: one master, three replicas, one slow disk BGSAVE, through repl-spy', () => {
  let master: RedisServer;
  let spy: Spy;
  let replicas: RedisServer[] = [];

  beforeAll(async () => {
    master = await startRedis({
      password: PASSWORD,
      args: ['--repl-diskless-sync', 'no', '--rdb-key-save-delay', String(KEY_SAVE_DELAY_US)],
    });
    await master.cmd('DEBUG', 'POPULATE', SNAPSHOT_KEYS, 'snap', 32);
    spy = await startSpy(master.port);
    // Started together: each replica dials within its first replication cron (≤ 1 s), inside the BGSAVE.
    replicas = await Promise.all([1, 2, 3].map(() => startReplicaThrough(spy.port, { masterauth: PASSWORD })));
    for (const replica of replicas) await waitForLinkUp(replica);
    await spy.drained(); // the decoders read behind the forwarding: let them see what the replicas have
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await spy?.close();
    await master?.stop();
  });

  it('three links, one BGSAVE: the same +FULLRESYNC, reported as one shared snapshot', async () => {
    const { master_replid } = await master.info('replication');
    const links = spy.links();
    expect(links).toHaveLength(3);
    const fullresyncs = spy.of('fullresync');
    expect(fullresyncs.map((e) => e.link).sort()).toEqual([...links].sort());
    const { offset } = fullresyncs[0]!;
    for (const e of fullresyncs) expect(e).toMatchObject({ replid: master_replid, offset });
    // One BGSAVE: the master reports a single fork for the three replicas.
    expect(Number((await master.info('persistence')).rdb_saves)).toBe(1);

    const shared = spy.of('shared-snapshot').filter((e) => e.links.length === 3);
    expect(shared).toHaveLength(1);
    expect([...shared[0]!.links].sort()).toEqual([...links].sort());
    expect(shared[0]).toMatchObject({ replid: master_replid, offset });
  });

  it('each link: PSYNC ? -1, AUTH masked, the BGSAVE wait with keepalives, the whole RDB', () => {
    let keepalivesSeen = 0;
    for (const link of spy.links()) {
      expect(spy.of('replica-command', link).find((e) => e.argv[0] === 'AUTH')?.argv).toEqual(['AUTH', '***']);
      expect(spy.of('psync', link)).toEqual([expect.objectContaining({ replid: '?', offset: -1 })]);
      const [start] = spy.of('rdb-start', link);
      expect(start).toMatchObject({ mode: 'disk' });
      expect(start!.size).toBeGreaterThan(SNAPSHOT_KEYS); // values are LZF-compressed in the RDB
      expect(start!.waitMs).toBeGreaterThan(0);
      // keepalives counts the newlines the master sent between PSYNC and the `$` line.
      const before = eventsBefore(spy.events, start!).filter((e) => e.type === 'keepalive' && e.link === link && e.from === 'master');
      expect(start!.keepalives).toBe(before.length);
      keepalivesSeen += start!.keepalives;
      expect(spy.of('rdb-end', link)).toEqual([expect.objectContaining({ bytes: start!.size })]);
      const summary = spy.of('rdb-info', link).find((e) => e.phase === 'summary');
      expect(summary?.info).toMatchObject({ complete: true, keys: SNAPSHOT_KEYS, bytes: start!.size });
    }
    // The BGSAVE lasts seconds and the master sends one newline per second to each waiting replica.
    expect(keepalivesSeen).toBeGreaterThan(0);
  });

  it('writes in several dbs, MULTI/EXEC, EXPIRE, large values: offsets and data equal to Redis', async () => {
    const value300 = randomBytes(150).toString('hex'); // 300 bytes
    const valueMiB = randomBytes(1_200_000);
    await master.cmd('SET', 'db0:plain', 'v0');
    await master.cmd('SELECT', 2);
    await master.cmd('SET', 'db2:expiring', 'v2');
    await master.cmd('EXPIRE', 'db2:expiring', 1000);
    await master.cmd('SET', 'db2:300', value300);
    await master.cmd('SELECT', 5);
    await master.cmd('MULTI');
    await master.cmd('SET', 'db5:a', 'x');
    await master.cmd('INCRBY', 'db5:counter', 7);
    await master.cmd('EXEC');
    await master.cmd('SELECT', 0);
    await master.cmd('SET', 'db0:mib', valueMiB);
    await master.cmd('DEL', 'snap:1', 'snap:2');

    await waitForCaughtUp(master, replicas, spy);

    const digest = await master.cmd('DEBUG', 'DIGEST');
    expect(digest).toMatch(/^[0-9a-f]{40}$/);
    expect(digest).not.toBe('0'.repeat(40));
    for (const replica of replicas) expect(await replica.cmd('DEBUG', 'DIGEST')).toBe(digest);

    // The first ACK after the RDB measures the replica's load time.
    for (const link of spy.links()) expect(spy.of('ack', link)[0]!.loadMs).toBeGreaterThanOrEqual(0);

    const streams = spy.links().map((link) => spy.of('command', link));
    const [first] = streams;
    const fullresyncOffset = spy.of('fullresync')[0]!.offset;
    // Offsets chain from the snapshot's offset, command by command.
    let offset = fullresyncOffset;
    for (const c of first!) {
      expect(c.offset).toBe(offset + c.bytes);
      offset = c.offset;
    }
    // One snapshot, one stream: all three links received the very same commands.
    const shape = (cs: JsonEvent[]) => cs.map((c) => [c.offset, c.db, c.argv]);
    for (const s of streams) expect(shape(s)).toEqual(shape(first!));

    const find = (name: string, key?: string) =>
      first!.find((c) => c.argv[0].toUpperCase() === name && (key === undefined || c.argv[1] === key));
    expect(find('SET', 'db0:plain')).toMatchObject({ db: 0 });
    // Redis propagates EXPIRE as PEXPIREAT, in the db it was run in.
    expect(find('PEXPIREAT', 'db2:expiring')).toMatchObject({ db: 2 });
    expect(find('SET', 'db2:300')?.argv[2]).toBe(`${value300.slice(0, 256)}…(300 bytes)`);
    expect(find('SET', 'db0:mib')).toMatchObject({ db: 0 });
    expect(find('SET', 'db0:mib')!.argv[2]).toMatch(/…\(1200000 bytes\)$/);
    expect(find('SET', 'db0:mib')!.bytes).toBeGreaterThan(1_200_000);
    const multi = first!.findIndex((c) => c.argv[0].toUpperCase() === 'MULTI');
    expect(first!.slice(multi, multi + 4).map((c) => [c.db, c.argv[0].toUpperCase(), c.argv[1]])).toEqual([
      [5, 'MULTI', undefined],
      [5, 'SET', 'db5:a'],
      [5, 'INCRBY', 'db5:counter'],
      [5, 'EXEC', undefined],
    ]);
  });

  it('never shows the AUTH password, reports no violation and closes no link', () => {
    expect(spy.lines.length).toBeGreaterThan(100);
    for (const line of spy.lines) expect(line).not.toContain(PASSWORD);
    expect(spy.of('protocol-violation')).toEqual([]);
    expect(spy.of('link-close')).toEqual([]);
    expect(spy.subscriberErrors).toEqual([]);
  });
});

function eventsBefore(events: JsonEvent[], e: JsonEvent): JsonEvent[] {
  return events.slice(0, events.indexOf(e));
}
