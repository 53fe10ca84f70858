// `repl-spy lab` with real servers: comes up with three replicas sharing one BGSAVE, and leaves no process and no
// directory behind after SIGINT, SIGTERM, or SIGKILL of repl-spy itself (then the guard cleans up).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath as cli } from '../helpers/cli.js';
import { requireRedis } from '../helpers/redis.js';
import { isAlive, LabRun, until, type LabStatus } from './lab-harness.js';

const hasRedis = requireRedis();
let run: LabRun | null = null;

afterEach(async () => {
  if (!run) return;
  const status = run.status;
  await run.stop('SIGKILL');
  // whatever a test left, the guard must still clean up
  await until(() => allGone(status), 10_000, () => 'lab processes to be gone after the test');
  run = null;
});

function pidsOf(status: LabStatus): number[] {
  return [status.master.pid, ...status.replicas.map((r) => r.pid), status.guardPid];
}

function allGone(status: LabStatus): boolean {
  return pidsOf(status).every((pid) => !isAlive(pid)) && !existsSync(status.dir);
}

/** `signal` to repl-spy: it exits 0, and every lab process and the lab directory are gone soon after (then
 *  afterEach has nothing left to stop). */
async function expectCleanStop(lab: LabRun, signal: NodeJS.Signals): Promise<void> {
  const { status } = lab;
  const exit = await lab.stop(signal);
  expect(exit.code).toBe(0);
  await until(() => allGone(status), 5_000, () => `every lab process gone and ${status.dir} removed`);
  run = null;
}

describe.skipIf(!hasRedis)('repl-spy lab lifecycle', () => {
  it('starts a master and three replicas that share one BGSAVE, and stops cleanly on SIGINT', async () => {
    run = await LabRun.start(['--replicas', '3', '--keys', '2000']);
    const { status } = run;
    expect(status.replicas).toHaveLength(3);
    for (const s of [status.master, ...status.replicas]) {
      expect(isAlive(s.pid)).toBe(true);
      expect(s.log.startsWith(status.dir)).toBe(true);
    }
    expect(run.stderr).toContain(status.master.log); // it says where the logs are

    const shared = await run.waitEvent((e) => e.type === 'shared-snapshot' && (e.links as number[]).length === 3, 30_000, 'a snapshot shared by three links');
    const fullresyncs = run.events.filter((e) => e.type === 'fullresync');
    expect(fullresyncs.map((e) => e.link).sort()).toEqual([...(shared.links as number[])].sort());
    await until(() => /all 3 replicas in sync/.test(run!.stderr), 30_000, () => 'the replicas in sync');
    // Redis's own word: one BGSAVE served every replica.
    const masterLog = readFileSync(status.master.log, 'utf8');
    expect(masterLog.match(/Starting BGSAVE for SYNC/g)).toHaveLength(1);
    // hybrid AOF persistence as configured
    const config = await run.cmd(status.replicas[0]!, 'CONFIG', 'GET', 'append*');
    expect(config).toEqual(expect.arrayContaining(['appendonly', 'yes', 'appendfsync', 'everysec']));
    expect(await run.cmd(status.replicas[0]!, 'DBSIZE')).toBeGreaterThanOrEqual(2000);

    await expectCleanStop(run, 'SIGINT');
  });

  it('stops cleanly on SIGTERM', async () => {
    run = await LabRun.start(['--replicas', '1', '--keys', '100']);
    await until(() => /all 1 replicas in sync/.test(run!.stderr), 30_000, () => 'the replica in sync');
    await expectCleanStop(run, 'SIGTERM');
  });

  it('after SIGKILL of repl-spy, the guard stops the servers and removes the directory within a few seconds', async () => {
    run = await LabRun.start(['--replicas', '2', '--keys', '100']);
    const { status } = run;
    await until(() => /all 2 replicas in sync/.test(run!.stderr), 30_000, () => 'the replicas in sync');
    const exit = await run.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    expect(pidsOf(status).some(isAlive)).toBe(true); // not yet: nothing in repl-spy ran
    await until(() => allGone(status), 8_000, () => `every lab process gone and ${status.dir} removed after SIGKILL`);
    run = null;
  });

  it('ends by itself after --duration', async () => {
    run = await LabRun.start(['--replicas', '1', '--keys', '10', '--duration', '3']);
    const { status } = run;
    await until(() => run!.proc.exitCode !== null, 20_000, () => 'the lab to end by itself');
    expect(run.proc.exitCode).toBe(0);
    await until(() => allGone(status), 5_000, () => `every lab process gone and ${status.dir} removed`);
    run = null;
  });
});

// Needs no redis-server: it is about machines without one.
describe('repl-spy lab without redis-server', () => {
  it('without redis-server, says which package to install', () => {
    const emptyDir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-no-redis-'));
    const env = { ...process.env, PATH: emptyDir, REDIS_SERVER_BIN: '' };
    const out = spawnSync(process.execPath, [cli, 'lab', '--no-tui', '--duration', '1'], { env, encoding: 'utf8', timeout: 20_000 });
    rmSync(emptyDir, { recursive: true });
    expect(out.status).not.toBe(0);
    expect(out.stderr).toMatch(/redis-server was not found/);
    expect(out.stderr).toMatch(/apt-get install redis-server/);
  });
});
