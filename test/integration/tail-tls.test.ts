// `repl-spy tail` to a master that speaks TLS only, and through a Sentinel that does (tls-port, tls-replication):
// the --upstream-* flags of the proxy, dialled the one way every connection is (src/net/dial.ts). A certificate
// the flags do not trust is said as the proxy says it, and tail follows nothing meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPool, requireRedis, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { requireSentinel, startSentinel, type Sentinel } from '../helpers/sentinel.js';
import { setIndexes, startTailCli, waitCaughtUp } from '../helpers/tail.js';
import { makeTestCerts, requireTls, type TestCerts } from '../helpers/tls.js';

const ready = requireRedis() && requireTls() && requireSentinel();

describe.skipIf(!ready)('repl-spy tail over TLS', () => {
  const pool = redisPool();
  let certs: TestCerts;
  let master: RedisServer;
  let sentinel: Sentinel;
  const flags = (ca?: string): string[] => ['--upstream-tls', '--upstream-ca', ca ?? certs.ca, '--upstream-cert', certs.proxy.cert, '--upstream-key', certs.proxy.key];

  beforeAll(async () => {
    certs = makeTestCerts();
    master = await pool.start({ tls: { cert: certs.master, ca: certs.ca } });
    // a real replica's first sync creates the master's backlog
    const replica = await pool.start({ tls: { cert: certs.replica1, ca: certs.ca, replication: true }, args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitForLinkUp(replica);
    sentinel = await startSentinel('tlsmaster', master.port, { cert: certs.replica2, ca: certs.ca });
  });
  afterAll(async () => {
    await sentinel?.stop();
    await pool.stopAll();
    certs?.remove();
  });

  /** SET k:<i> for i in [from, from+count) on the master's own (TLS) connection. */
  const writeSets = async (from: number, count: number): Promise<void> => {
    for (let i = from; i < from + count; i++) await master.cmd('SET', `k:${i}`, String(i));
  };

  it('follows a TLS master with +CONTINUE: every command once, no fork', async () => {
    const forks = (await master.info('stats')).total_forks;
    const tail = await startTailCli([`127.0.0.1:${master.port}`, ...flags()]);
    try {
      await writeSets(0, 300);
      await waitCaughtUp(tail, master);
      expect(setIndexes(tail.events())).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect((await master.info('stats')).total_forks).toBe(forks);
      expect(Object.values(await master.info('replication')).some((v) => v.startsWith('ip=repl-spy-tail.invalid,port=0,state=online'))).toBe(true);
    } finally {
      expect((await tail.stop()).code).toBe(0);
    }
  }, 60_000);

  it('--follow sentinel:// asks a TLS Sentinel for the master, and follows it over TLS', async () => {
    await waitFor(async () => Array.isArray(await sentinel.cmd('SENTINEL', 'get-master-addr-by-name', 'tlsmaster')), 10_000, 'Sentinel to name the master');
    const tail = await startTailCli(['--follow', `sentinel://127.0.0.1:${sentinel.port}/tlsmaster`, ...flags()]);
    try {
      await writeSets(1000, 100);
      await waitCaughtUp(tail, master);
      expect(setIndexes(tail.events())).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
      expect(tail.stderr()).toMatch(/tail tlsmaster via Sentinel 127\.0\.0\.1:\d+/);
    } finally {
      expect((await tail.stop()).code).toBe(0);
    }
  }, 60_000);

  it('a master certificate of a CA the flags do not trust: says which problem and what to do, follows nothing', async () => {
    const tail = await startTailCli([`127.0.0.1:${master.port}`, ...flags(certs.otherCa)], { following: false });
    try {
      await waitFor(() => /cannot reach the master 127\.0\.0\.1:\d+ \(.*TLS handshake failed: .*\): trying again/.test(tail.stderr()), 20_000, 'the TLS problem');
      expect(tail.stderr()).toMatch(/--upstream-ca/);
      expect(tail.stderr()).not.toMatch(/following/);
    } finally {
      await tail.stop();
    }
  }, 60_000);

  it('plaintext flags against a Sentinel on a TLS port: no master named, tail says so and keeps asking', async () => {
    const tail = await startTailCli(['--follow', `sentinel://127.0.0.1:${sentinel.port}/tlsmaster`], { following: false });
    try {
      await waitFor(() => /no Sentinel named the master: 127\.0\.0\.1:\d+: /.test(tail.stderr()), 30_000, 'the Sentinel problem');
      expect(tail.stderr()).not.toMatch(/following/);
    } finally {
      await tail.stop();
    }
  }, 60_000);
});
