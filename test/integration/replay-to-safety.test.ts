// `replay --to` never destroys data by surprise: a target that holds keys, is a replica, or has replicas is
// refused (exit 2, saying which) and left as it was; with --force it is told first what will be replaced. The
// target's credentials come from --to-password/--to-user or REDISCLI_AUTH, with a hint when AUTH fails.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCaptureWriter } from '../../src/capture/writer.js';
import { startProxy } from '../../src/proxy/index.js';
import { runCli } from '../helpers/cli.js';
import { redisPool, requireRedis, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';

const hasRedis = requireRedis();
const PASSWORD = 'target-Pw-77aa';

describe.skipIf(!hasRedis)('replay --to refuses to replace data unless forced', () => {
  const pool = redisPool();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-replay-to-'));
  const file = path.join(tmp, 'session.rspy');
  let digest = '';
  const replayTo = async (target: RedisServer, args: string[] = [], env: Record<string, string> = {}) => {
    const run = runCli(['replay', file, '--to', `127.0.0.1:${target.port}`, '--timeout', '20000', ...args], { env: { REDISCLI_AUTH: '', ...env } });
    const { code } = await run.exited;
    return { code, stderr: run.stderr() };
  };

  beforeAll(async () => {
    const master = await pool.start();
    for (let i = 0; i < 20; i++) await master.cmd('SET', `recorded:${i}`, i);
    const capture = openCaptureWriter({ path: file, upstream: `127.0.0.1:${master.port}`, captureRdb: 'full', captureSecrets: false });
    const proxy = await startProxy({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: master.port }, onWire: capture.wire });
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(proxy.address().port)] });
    await waitForLinkUp(replica);
    await master.cmd('SET', 'after-sync', 'x');
    const offset = Number((await master.info('replication')).master_repl_offset);
    await waitFor(async () => Number((await replica.info('replication')).slave_repl_offset) === offset, 10_000, 'the replica at the master offset');
    digest = String(await master.cmd('DEBUG', 'DIGEST'));
    await proxy.close();
    await capture.close();
  });

  afterAll(async () => {
    await pool.stopAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a target with keys: exit 2, it says how many, and the keys are still there', async () => {
    const target = await pool.start();
    await target.cmd('SET', 'precious', '1');
    await target.cmd('SELECT', 4);
    await target.cmd('SET', 'precious', '2');
    const r = await replayTo(target);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^repl-spy: refusing to replay into 127\\.0\\.0\\.1:${target.port}: it holds 2 keys \\(db0: 1, db4: 1\\): .*--force`, 'm'));
    expect(await target.cmd('GET', 'precious')).toBe('2');
    expect((await target.info('replication')).role).toBe('master');
  });

  it('a replica: exit 2, it names its master, and it stays that master\'s replica', async () => {
    const upstream = await pool.start();
    const target = await pool.start({ args: ['--replicaof', '127.0.0.1', String(upstream.port)] });
    await waitForLinkUp(target);
    const r = await replayTo(target);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`it is a replica of 127.0.0.1:${upstream.port} (it would be detached from it and left a master)`);
    expect(await target.info('replication')).toMatchObject({ role: 'slave', master_port: String(upstream.port), master_link_status: 'up' });
  });

  it('a master with a replica: exit 2, it says so', async () => {
    const target = await pool.start();
    const follower = await pool.start({ args: ['--replicaof', '127.0.0.1', String(target.port)] });
    await waitForLinkUp(follower);
    const r = await replayTo(target);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('it is the master of 1 replica (they would get the replayed data too)');
  });

  it('--force: it says first what will be replaced, then gives the target the dataset of the capture', async () => {
    const target = await pool.start();
    await target.cmd('SET', 'precious', '1');
    const r = await replayTo(target, ['--force']);
    expect(r.code).toBe(0);
    const told = r.stderr.indexOf(`--force: 127.0.0.1:${target.port} will be replaced: it holds 1 key (db0: 1)`);
    expect(told).toBeGreaterThanOrEqual(0);
    expect(told).toBeLessThan(r.stderr.indexOf('serving link'));
    expect(await target.cmd('DEBUG', 'DIGEST')).toBe(digest);
    expect(await target.cmd('GET', 'precious')).toBeNull();
  });

  it('credentials: a wrong password gets a hint, REDISCLI_AUTH or --to-user/--to-password work', async () => {
    const target = await pool.start({ password: PASSWORD });
    const none = await replayTo(target);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/needs a password \(NOAUTH[^)]*\): give the target's credentials with --to-password .*REDISCLI_AUTH/);
    const wrong = await replayTo(target, ['--to-password', 'wrong']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/refused AUTH \((WRONGPASS|ERR)[^)]*\): give the target's credentials/);
    const viaEnv = await replayTo(target, [], { REDISCLI_AUTH: PASSWORD });
    expect(viaEnv.code).toBe(0);
    expect(await target.cmd('DEBUG', 'DIGEST')).toBe(digest);

    const acl = await pool.start({ password: PASSWORD });
    await acl.cmd('ACL', 'SETUSER', 'loader', 'on', '>loader-pw', '~*', '&*', '+@all');
    const asUser = await replayTo(acl, ['--to-user', 'loader', '--to-password', 'loader-pw']);
    expect(asUser.code).toBe(0);
    expect(await acl.cmd('DEBUG', 'DIGEST')).toBe(digest);
  });
});
