// Shared snapshots are only those of one BGSAVE. A replica that arrives after the master finished the BGSAVE
// (while the first replica's transfer still runs) gets a new BGSAVE, even when +FULLRESYNC carries the same
// replid and offset (an idle master: no write in between). Redis says how many BGSAVEs ran: INFO rdb_saves.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { startSpy, type Spy } from '../helpers/spy.js';

const hasRedis = requireRedis();

describe.skipIf(!hasRedis)('snapshot sharing is per BGSAVE', () => {
  let master: RedisServer;
  let spy: Spy;
  const replicas: RedisServer[] = [];

  beforeAll(async () => {
    // No master PING: the replication offset stays put while no one writes.
    master = await startRedis({ args: ['--repl-diskless-sync', 'no', '--repl-ping-replica-period', '3600'] });
    await master.cmd('SET', 'big', randomBytes(3_000_000));
    spy = await startSpy(master.port);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await spy?.close();
    await master?.stop();
  });

  it('a replica arriving during the first transfer is not reported as sharing its snapshot', async () => {
    replicas.push(await startReplicaThrough(spy.port));
    await waitFor(() => spy.links().length === 1, 10_000, 'the first link');
    // A slow first transfer (~3 s): the BGSAVE is over, the RDB still on its way.
    spy.proxy.links.get(spy.links()[0]!)!.apply({ kind: 'bandwidth', bytesPerSec: 1_000_000 });
    await waitFor(() => spy.of('rdb-start').length === 1, 20_000, 'the first RDB transfer to start');
    replicas.push(await startReplicaThrough(spy.port));
    await waitFor(() => spy.of('fullresync').length === 2, 20_000, 'the second +FULLRESYNC');
    expect(spy.of('rdb-end')).toEqual([]); // the first transfer is still running
    spy.proxy.links.get(spy.links()[0]!)!.apply({ kind: 'bandwidth', bytesPerSec: null });
    for (const replica of replicas) {
      await waitForLinkUp(replica, 30_000);
    }

    const [a, b] = spy.of('fullresync');
    expect(b).toMatchObject({ replid: a!.replid, offset: a!.offset }); // indistinguishable by +FULLRESYNC alone
    expect(Number((await master.info('persistence')).rdb_saves)).toBe(2); // but two BGSAVEs ran
    expect(spy.of('shared-snapshot')).toEqual([]);
  });
});
