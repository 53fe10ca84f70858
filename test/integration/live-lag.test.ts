// Lag that grows while a replica is silent, through the built CLI (its clock ticks, as in production): a real
// replica stopped with SIGSTOP under a steady write load. Between ACKs the lag in bytes and ms rises, the master's
// own INFO agrees on the acknowledged offset, `ack-silence` comes within 3 s of the stop, and after SIGCONT the
// lag falls to 0 with one `ack-resumed`.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliProxy, type CliRun } from '../helpers/cli.js';
import { requireRedis, startRedis, startReplicaThrough, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import type { JsonEvent } from '../helpers/spy.js';

const hasRedis = requireRedis();
const STOP_MS = 5_000;

describe.skipIf(!hasRedis)('live lag of a silent replica, through the CLI', () => {
  let master: RedisServer;
  let replica: RedisServer | undefined;
  let run: CliRun & { port: number };

  beforeAll(async () => {
    master = await startRedis();
    run = await startCliProxy(master.port, ['--json', '--no-capture']);
    replica = await startReplicaThrough(run.port);
    await waitForLinkUp(replica);
  });

  afterAll(async () => {
    replica?.resume();
    await replica?.stop();
    await run?.stop();
    await master?.stop();
  });

  it('SIGSTOP for 5 s: lag rises monotonically, ack-silence within 3 s; after SIGCONT it falls to 0 and ack-resumed comes', async () => {
    const of = (type: string): JsonEvent[] => run.events().filter((e) => e.type === type && e.link === 1);
    await waitFor(() => of('ack').length > 0, 10_000, 'a first ACK');
    let writing = true;
    const load = (async () => {
      for (let i = 0; writing; i++) {
        await master.cmd('SET', `load:${i % 500}`, 'x'.repeat(100));
        await sleep(10);
      }
    })();
    try {
      await sleep(1_500); // the load is steady before the stop
      const stoppedAt = Date.now();
      replica!.pause();
      await sleep(STOP_MS - 1_000);
      // Redis agrees: the master has heard no ACK since the offset our events say was acknowledged last.
      const info = await master.info('replication');
      const masterSide = /offset=(\d+),lag=(\d+)/.exec(info.slave0 ?? '');
      await sleep(1_000);
      const resumedAt = Date.now();
      replica!.resume();

      // an ACK sent just before the stop may still have been on its way: count from the last one the proxy saw
      const lastAckAt = Math.max(stoppedAt, ...of('ack').filter((e) => e.at < resumedAt).map((e) => e.at));
      const during = of('lag').filter((e) => e.at > lastAckAt && e.at < resumedAt);
      expect(during.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < during.length; i++) {
        expect(during[i]!.lagBytes).toBeGreaterThanOrEqual(during[i - 1]!.lagBytes);
        expect(during[i]!.lagMs).toBeGreaterThan(during[i - 1]!.lagMs);
        expect(during[i]!.ackOffset).toBe(during[0]!.ackOffset);
      }
      expect(during.at(-1)!.lagBytes).toBeGreaterThan(during[0]!.lagBytes);
      expect(during.at(-1)!.lagMs).toBeGreaterThan(3_000);
      expect(Number(masterSide?.[1])).toBe(during[0]!.ackOffset);
      expect(Number(masterSide?.[2])).toBeGreaterThanOrEqual(2); // seconds since the master heard an ACK

      const silences = of('ack-silence');
      expect(silences).toHaveLength(1);
      expect(silences[0]!.at - stoppedAt).toBeLessThanOrEqual(3_000);
      expect(silences[0]).toMatchObject({ ackOffset: during[0]!.ackOffset, lagBytes: expect.any(Number) });
      expect(silences[0]!.lagBytes).toBeGreaterThan(0);

      await waitFor(() => of('ack-resumed').length === 1, 10_000, 'ack-resumed after SIGCONT');
      expect(of('ack-resumed')[0]!.silentMs).toBeGreaterThan(STOP_MS - 1_000);
    } finally {
      writing = false;
      await load;
    }
    // Without the load the replica catches up: the lag falls to 0, as the replica's and the master's offsets say.
    const masterOffset = Number((await master.info('replication')).master_repl_offset);
    await waitFor(() => of('ack').at(-1)?.offset === masterOffset, 10_000, 'an ACK of the master offset');
    expect(of('ack').at(-1)).toMatchObject({ lagBytes: 0, lagMs: 0 });
    expect(Number((await replica!.info('replication')).slave_repl_offset)).toBe(masterOffset);
    expect(of('ack-silence')).toHaveLength(1);
    expect(of('ack-resumed')).toHaveLength(1);
  });
});
