// Live decoder fuzzing: every link through the real proxy carries a slice fault from its first byte, so the
// decoders see the handshake, the RDB (sized and EOF-marked), the command stream and the ACKs of real servers cut
// at random into pieces of a few bytes, each its own read. Redis is the oracle: the decoded offsets must still equal
// INFO, the replicas the master's data, the RDB must verify, and no byte may look like a protocol violation.
// The seed of a run is in its name (REPL_SPY_SLICE_SEED repeats one).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPool, requireRedis, startReplicaThrough, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { startSpy, waitForCaughtUp, type Spy } from '../helpers/spy.js';

const hasRedis = requireRedis();
const pool = redisPool();
const baseSeed = Number(process.env.REPL_SPY_SLICE_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe.skipIf(!hasRedis).each([
  { mode: 'disk', seed: baseSeed },
  { mode: 'diskless', seed: baseSeed + 1 },
])('slice fault on every link, $mode sync, seed $seed', ({ mode, seed }) => {
  const maxBytes = 2 + (seed % 47);
  let master: RedisServer;
  let spy: Spy;
  const replicas: RedisServer[] = [];

  beforeAll(async () => {
    master = await pool.start({ password: 'fuzz-pw', args: ['--repl-diskless-sync', mode === 'diskless' ? 'yes' : 'no', '--repl-diskless-sync-delay', '0'] });
    await master.cmd('DEBUG', 'POPULATE', 3000, 'key', 40);
    await master.cmd('HSET', 'h', 'f1', 'v1', 'f2', randomBytes(300));
    await master.cmd('RPUSH', 'l', 'a', 'b', randomBytes(5000));
    await master.cmd('ZADD', 'z', 1, 'one', 2.5, 'two');
    await master.cmd('SET', 'big', randomBytes(200_000));
    spy = await startSpy(master.port, { slice: { kind: 'slice', maxBytes, seed } });
    for (let i = 0; i < 2; i++) replicas.push(await startReplicaThrough(spy.port, { masterauth: 'fuzz-pw' }));
    for (const r of replicas) await waitForLinkUp(r);
  });

  afterAll(async () => {
    await spy?.close();
    await Promise.all(replicas.map((r) => r.stop())); // started outside the pool
    await pool.stopAll();
  });

  it(`decodes everything exactly: offsets equal INFO, the RDB verifies, no violation (pieces of 1..${maxBytes} bytes)`, async () => {
    for (let i = 0; i < 300; i++) await master.cmd('SET', `after:${i}`, i % 50 === 0 ? randomBytes(20_000) : `v${i}`);
    await master.cmd('SELECT', 5);
    await master.cmd('MULTI');
    await master.cmd('INCRBY', 'counter', 7);
    await master.cmd('EXPIRE', 'counter', 1000);
    await master.cmd('EXEC');
    await master.cmd('SELECT', 0);
    await master.cmd('WAIT', 2, 2000); // GETACKs from the master, ACKs that answer them
    await waitForCaughtUp(master, replicas, spy);

    expect(spy.of('protocol-violation')).toEqual([]);
    expect(spy.of('gap')).toEqual([]);
    expect(spy.of('fault').map((e) => e.fault)).toEqual(spy.links().map(() => 'slice'));
    for (const link of spy.links()) {
      const summary = spy.of('rdb-info', link).find((e) => e.phase === 'summary');
      expect(summary?.info).toMatchObject({ complete: true, checksum: 'verified', trailingBytes: 0 });
      expect(spy.of('rdb-info', link).filter((e) => e.phase === 'error')).toEqual([]);
    }
    const digest = await master.cmd('DEBUG', 'DIGEST');
    for (const r of replicas) expect(await r.cmd('DEBUG', 'DIGEST')).toBe(digest);
    // the decoders saw the pieces: on average no more than half the limit plus one byte each
    expect(spy.wire.bytes / spy.wire.chunks).toBeLessThanOrEqual(maxBytes / 2 + 1);
  }, 60_000);
});
