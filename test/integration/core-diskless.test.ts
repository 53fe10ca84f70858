// Diskless sync through repl-spy: the RDB streamed from the fork with `$EOF:<mark>` framing (no size known
// up front). The decoder must find the mark and count exactly the RDB's bytes; offsets and data as Redis says.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { startSpy, waitForCaughtUp, type Spy } from '../helpers/spy.js';

const hasRedis = requireRedis();
const PASSWORD = 'diskless-Pw-91ab';
const SNAPSHOT_KEYS = 5000;

describe.skipIf(!hasRedis)('diskless sync ($EOF: framing) through repl-spy', () => {
  let master: RedisServer;
  let spy: Spy;
  let replicas: RedisServer[] = [];

  beforeAll(async () => {
    master = await startRedis({
      password: PASSWORD,
      args: ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '1'],
    });
    await master.cmd('DEBUG', 'POPULATE', SNAPSHOT_KEYS, 'snap', 64);
    // Incompressible and larger than 1 MiB: the payload spans many reads and reports progress.
    await master.cmd('SET', 'big', randomBytes(1_500_000));
    spy = await startSpy(master.port);
    replicas = await Promise.all([1, 2].map(() => startReplicaThrough(spy.port, { masterauth: PASSWORD })));
    for (const replica of replicas) await waitForLinkUp(replica);
    await spy.drained();
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await spy?.close();
    await master?.stop();
  });

  it('frames the RDB by its EOF mark: rdb-end bytes equal the RDB the decoder read, nothing after it', async () => {
    const { master_replid } = await master.info('replication');
    expect(spy.links()).toHaveLength(2);
    for (const link of spy.links()) {
      expect(spy.of('fullresync', link)).toEqual([expect.objectContaining({ replid: master_replid })]);
      expect(spy.of('master-reply', link).map((e) => e.reply)).toContainEqual(expect.stringMatching(/^\$EOF:[0-9a-f]{40}$/));
      expect(spy.of('rdb-start', link)).toEqual([expect.objectContaining({ mode: 'diskless', size: null })]);
      const [end] = spy.of('rdb-end', link);
      const summary = spy.of('rdb-info', link).find((e) => e.phase === 'summary')!;
      // The CRC64 at the RDB's end checks out and nothing follows it: the mark was found at the right byte.
      expect(summary.info).toMatchObject({ complete: true, checksum: 'verified', keys: SNAPSHOT_KEYS + 1, trailingBytes: 0, replId: master_replid });
      expect(end!.bytes).toBe(summary.info.bytes);
      expect(end!.bytes).toBeGreaterThan(1_500_000);
      expect(spy.of('rdb-progress', link).length).toBeGreaterThan(0);
    }
  });

  it('one fork for replicas that share the +FULLRESYNC, reported as shared exactly then', () => {
    const [a, b] = spy.of('fullresync');
    const sameSnapshot = a!.replid === b!.replid && a!.offset === b!.offset;
    const shared = spy.of('shared-snapshot');
    if (sameSnapshot) {
      expect(shared).toEqual([expect.objectContaining({ links: [a!.link, b!.link], replid: a!.replid, offset: a!.offset })]);
      // Both links received the same RDB.
      expect(spy.of('rdb-end', a!.link)[0]!.bytes).toBe(spy.of('rdb-end', b!.link)[0]!.bytes);
    } else {
      expect(shared).toEqual([]);
    }
  });

  it('offsets and data equal Redis after writes', async () => {
    await master.cmd('SET', 'after', 'sync');
    await master.cmd('SELECT', 9);
    await master.cmd('SET', 'big-after', randomBytes(300_000));
    await master.cmd('SELECT', 0);
    await master.cmd('DEL', 'big');
    await waitForCaughtUp(master, replicas, spy);
    const digest = await master.cmd('DEBUG', 'DIGEST');
    for (const replica of replicas) expect(await replica.cmd('DEBUG', 'DIGEST')).toBe(digest);
    for (const link of spy.links()) {
      const set = spy.of('command', link).find((c) => c.argv[1] === 'big-after');
      expect(set).toMatchObject({ db: 9 });
    }
    for (const line of spy.lines) expect(line).not.toContain(PASSWORD);
    expect(spy.of('protocol-violation')).toEqual([]);
  });
});
