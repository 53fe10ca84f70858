// A proxy run killed with SIGKILL leaves a capture that reads back up to its last complete record: the real
// CLI proxies a replica of a real master, capture on, and is killed mid-run; replay then shows everything
// that was captured and ends with a clear error naming the file and the byte offset.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const cli = path.join(repoRoot, 'dist/cli.js');
const ready = requireRedis();

describe.skipIf(!ready)('capture of a proxy killed with SIGKILL', () => {
  const servers: RedisServer[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-sigkill-'));
  let proxy: ChildProcess | null = null;

  afterAll(async () => {
    if (proxy && proxy.exitCode === null && proxy.signalCode === null) proxy.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reads back up to the last complete record, then names the file and offset', async () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
    const master = await startRedis();
    servers.push(master);
    const file = path.join(tmp, 'killed.rspy');
    proxy = spawn(process.execPath, [cli, '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${master.port}`, '--no-tui', '--capture', file], {
      cwd: tmp,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proxy.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => /listening on [^:]+:\d+/.test(stderr), 10_000, `the proxy to listen (stderr: ${stderr})`);
    const port = Number(/listening on [^,]*:(\d+),/.exec(stderr)![1]);

    const replica = await startReplicaThrough(port);
    servers.push(replica);
    await waitForLinkUp(replica, 20_000);
    for (let i = 0; i < 50; i++) await master.cmd('SET', `key:${i}`, 'v'.repeat(i * 10));
    await master.cmd('SET', 'last-before-kill', 'yes');
    const offset = Number((await master.info('replication')).master_repl_offset);
    await waitFor(async () => Number((await replica.info('replication')).slave_repl_offset) === offset, 20_000, 'replica caught up');
    await new Promise((r) => setTimeout(r, 300)); // the writer's queue reaches the disk; the kill must not wait for it
    proxy.kill('SIGKILL');
    await new Promise((r) => proxy!.once('exit', r));
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const r = spawnSync(process.execPath, [cli, 'replay', file, '--json'], { cwd: tmp });
    const stderrReplay = r.stderr.toString();
    expect(r.status).toBe(1);
    expect(stderrReplay).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: byte \\d+: the (capture ends without its end record|last record is incomplete)`));
    const events = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { type: string; argv?: string[]; offset?: number });
    expect(events.some((e) => e.type === 'fullresync')).toBe(true);
    const last = events.filter((e) => e.type === 'command').at(-1);
    expect(last?.argv).toEqual(['SET', 'last-before-kill', 'yes']);
    expect(last?.offset).toBe(offset);
  });
});
