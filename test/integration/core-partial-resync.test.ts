// A partial resync through repl-spy: the master drops its replica (CLIENT KILL TYPE replica), the replica dials
// again through the proxy and asks PSYNC <replid> <offset+1>; +CONTINUE, and the stream goes on byte-exactly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { startSpy, waitForCaughtUp, type Spy } from '../helpers/spy.js';

const hasRedis = requireRedis();
const PASSWORD = 'psync-Pw-5e2d';

describe.skipIf(!hasRedis)('partial resync after CLIENT KILL TYPE replica, through repl-spy', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let spy: Spy;

  beforeAll(async () => {
    // A PING every second: PINGs are part of the stream and its offsets, also while the replica is away.
    master = await startRedis({ password: PASSWORD, args: ['--repl-ping-replica-period', '1'] });
    await master.cmd('DEBUG', 'POPULATE', 1000, 'snap', 16);
    spy = await startSpy(master.port);
    replica = await startReplicaThrough(spy.port, { masterauth: PASSWORD });
    await waitForLinkUp(replica, 30_000);
  });

  afterAll(async () => {
    await replica?.stop();
    await spy?.close();
    await master?.stop();
  });

  it('continues the stream at the exact offset on a new link, and ends at the master offset', async () => {
    for (let i = 0; i < 50; i++) await master.cmd('SET', `before:${i}`, i);
    await waitForCaughtUp(master, [replica], spy);
    const [oldLink] = spy.links();
    const oldLast = spy.last('command', oldLink!)!.offset as number;
    const { master_replid } = await master.info('replication');

    expect(await master.cmd('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
    await waitFor(() => spy.of('continue').length === 1, 20_000, 'the replica to resync partially');
    expect(spy.of('link-close', oldLink)).toEqual([expect.objectContaining({ by: 'master' })]);
    const newLink = spy.links()[1]!;
    expect(spy.links()).toEqual([oldLink, newLink]);

    // The replica asks for the byte after the last one it got; the master continues with the same history.
    expect(spy.of('psync', newLink)).toEqual([expect.objectContaining({ replid: master_replid, offset: oldLast + 1 })]);
    expect(spy.of('continue', newLink)).toEqual([expect.objectContaining({ replid: master_replid, offset: oldLast + 1 })]);
    expect(spy.of('fullresync', newLink)).toEqual([]);
    expect(spy.of('rdb-start', newLink)).toEqual([]);

    await master.cmd('SELECT', 4);
    for (let i = 0; i < 50; i++) await master.cmd('SET', `after:${i}`, i);
    await master.cmd('SELECT', 0);
    await master.cmd('INCR', 'after:counter');
    await waitForCaughtUp(master, [replica], spy);

    // No byte lost or counted twice across the two links.
    let offset = oldLast;
    for (const c of spy.of('command', newLink)) {
      expect(c.offset).toBe(offset + c.bytes);
      offset = c.offset;
    }
    expect(offset).toBe(Number((await master.info('replication')).master_repl_offset));
    expect(spy.of('command', newLink).find((c) => c.argv[1] === 'after:0')).toMatchObject({ db: 4 });
    expect(spy.of('command', newLink).find((c) => c.argv[1] === 'after:counter')).toMatchObject({ db: 0 });

    expect(spy.of('command').filter((c) => c.argv[0].toUpperCase() === 'PING').length).toBeGreaterThan(0);
    const stats = await master.info('stats');
    expect(stats).toMatchObject({ sync_full: '1', sync_partial_ok: '1' });
    expect(await replica.cmd('DEBUG', 'DIGEST')).toBe(await master.cmd('DEBUG', 'DIGEST'));
    expect(spy.of('protocol-violation')).toEqual([]);
    for (const line of spy.lines) expect(line).not.toContain(PASSWORD);
  });
});
