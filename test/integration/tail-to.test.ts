// `repl-spy tail --to`: a live copy of a master on a real server that survives cuts on both sides and a restart of
// tail; Redis is the oracle (DEBUG DIGEST and the copy's own replication offset equal the master's). The target is
// refused as `replay --to` refuses it, unless it is a copy tail served before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, redisPool, requireRedis, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { pipelinedSets, startForwarder, startSetLoad, startTailCli, waitCaughtUp } from '../helpers/tail.js';
import { runCli } from '../helpers/cli.js';

const hasRedis = requireRedis();

/** The copy has applied everything the master has, and holds the same data. */
async function expectIdentical(master: RedisServer, copy: RedisServer): Promise<void> {
  const offset = (await master.info('replication')).master_repl_offset;
  await waitFor(async () => (await copy.info('replication')).master_repl_offset === offset, 30_000, `the copy to reach offset ${offset}`);
  expect(await copy.cmd('DEBUG', 'DIGEST')).toBe(await master.cmd('DEBUG', 'DIGEST'));
}

describe.skipIf(!hasRedis)('repl-spy tail --to', () => {
  const pool = redisPool();
  let master: RedisServer;

  beforeAll(async () => {
    master = await pool.start({ args: ['--repl-backlog-size', '64mb'] });
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitForLinkUp(replica);
  });
  afterAll(() => pool.stopAll());

  it('5 cuts on the master side (CLIENT KILL TYPE replica, a killed proxy), 1 on the target side, a restart of tail: the copy equals the master', async () => {
    const target = await pool.start();
    const proxyPort = await freePort();
    let proxy = await startForwarder(proxyPort, master.port);
    const args = [`127.0.0.1:${proxyPort}`, '--to', `127.0.0.1:${target.port}`];
    let tail = await startTailCli(args);
    try {
      const continued = (): number => tail.stderr().match(/continued \w+:\d+ with \+CONTINUE/g)?.length ?? 0;
      const load = startSetLoad(master.port, 0, { batch: 2_000 });
      let cuts = 0;
      for (const cut of ['kill', 'proxy', 'target', 'kill', 'proxy', 'kill']) {
        const before = tail.stdout().length;
        await waitFor(() => tail.stdout().length > before + 100_000, 30_000, 'tail to see more of the load');
        if (cut === 'kill') await master.cmd('CLIENT', 'KILL', 'TYPE', 'replica');
        if (cut === 'target') expect(await target.cmd('CLIENT', 'KILL', 'TYPE', 'master')).toBe(1);
        if (cut === 'proxy') {
          await proxy.kill();
          await new Promise((r) => setTimeout(r, 200));
          proxy = await startForwarder(proxyPort, master.port);
        }
        if (cut === 'target') continue;
        cuts++;
        await waitFor(() => continued() === cuts, 30_000, `tail to continue after cut ${cuts}`);
      }
      const written = await load.stop();
      await master.cmd('SELECT', 5);
      await master.cmd('HSET', 'in-db-5', 'f', 'v');
      await master.cmd('SELECT', 0);
      await waitCaughtUp(tail, master);
      await expectIdentical(master, target);

      // tail stops; the copy stays a replica holding what it acknowledged, and the next run continues it
      await tail.stop();
      expect(tail.stderr()).toMatch(/--to 127\.0\.0\.1:\d+ holds \w+ up to offset \d+ and stays a replica with its link down/);
      await pipelinedSets(master.port, written, 10_000);
      tail = await startTailCli(args);
      expect(tail.stderr()).toMatch(/is a copy of \w+ up to offset \d+ whose link is down: continuing it from there/);
      await waitCaughtUp(tail, master);
      await expectIdentical(master, target);
      expect(Number((await target.info('keyspace')).db0?.match(/keys=(\d+)/)?.[1])).toBe(written + 10_000);
    } finally {
      await tail.stop();
      await proxy.kill();
    }
  }, 120_000);

  it('refuses a target that holds keys or is a live replica (exit 2, says which); --force replaces it after saying what', async () => {
    const target = await pool.start();
    await target.cmd('SET', 'precious', '1');
    const refused = runCli(['tail', `127.0.0.1:${master.port}`, '--to', `127.0.0.1:${target.port}`, '--no-capture', '--json']);
    expect((await refused.exited).code).toBe(2);
    expect(refused.stderr()).toMatch(/refusing to make 127\.0\.0\.1:\d+ a copy: it holds 1 key \(db0: 1\).*--force/);

    const live = await pool.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitForLinkUp(live);
    const replica = runCli(['tail', `127.0.0.1:${master.port}`, '--to', `127.0.0.1:${live.port}`, '--no-capture', '--json']);
    expect((await replica.exited).code).toBe(2);
    expect(replica.stderr()).toMatch(/it is a replica of 127\.0\.0\.1:\d+/);

    // the stream is in db 7 when tail starts: +CONTINUE sends no SELECT, the backlog's last one says it
    await master.cmd('SELECT', 7);
    await master.cmd('SET', 'before', 'tail');
    const forced = await startTailCli([`127.0.0.1:${master.port}`, '--to', `127.0.0.1:${target.port}`, '--force']);
    try {
      expect(forced.stderr()).toMatch(/--force: 127\.0\.0\.1:\d+ will be replaced: it holds 1 key/);
      await master.cmd('SET', 'copied', 'yes');
      await waitFor(() => /starts the copy of \w+ at offset \d+ \(db 7\)/.test(forced.stderr()), 20_000, 'the copy to start');
      await target.cmd('SELECT', 7);
      await waitFor(async () => (await target.cmd('GET', 'copied')) === 'yes', 20_000, 'the copy to get the write in db 7');
      expect(await target.cmd('EXISTS', 'before')).toBe(0); // before the copy started
      await target.cmd('SELECT', 0);
      expect(await target.cmd('EXISTS', 'precious')).toBe(0);
      expect(forced.events().find((e) => e.type === 'command' && e.argv[1] === 'copied')?.db).toBe(7);
    } finally {
      await master.cmd('SELECT', 0);
      await forced.stop();
    }
  }, 60_000);

  it('--to with --allow-full-sync is a usage error', async () => {
    const run = runCli(['tail', `127.0.0.1:${master.port}`, '--to', '127.0.0.1:1', '--allow-full-sync']);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toMatch(/--to and --allow-full-sync do not go together/);
  });
});
