import { afterAll, beforeAll, describe, it } from 'vitest';
import { freePort, redisPool, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { pipelinedSets, startForwarder, startTailCli } from '../helpers/tail.js';
describe('dbg', () => {
  const pool = redisPool();
  let master: RedisServer;
  beforeAll(async () => {
    master = await pool.start({ args: ['--repl-backlog-size', '64mb'] });
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitForLinkUp(replica);
  });
  afterAll(() => pool.stopAll());
  it('x', async () => {
    const proxyPort = await freePort();
    const proxy = await startForwarder(proxyPort, master.port);
    const tail = await startTailCli([`127.0.0.1:${proxyPort}`]);
    const load = pipelinedSets(master.port, 2_000_000, 300_000, { batch: 2_000 });
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      console.log(i, tail.stdout().length, tail.stderr().slice(-300));
      if (i === 3) await master.cmd('CLIENT', 'KILL', 'TYPE', 'replica');
    }
    await load;
    await tail.stop();
    await proxy.kill();
  }, 60_000);
});
