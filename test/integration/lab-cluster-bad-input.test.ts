// `repl-spy lab --cluster` when the cluster cannot be made: a redis-server that refuses cluster mode, a node that
// stops answering while the cluster forms (past the deadline), a node killed while the cluster forms. Each: a
// clear message naming what, a non-zero exit, and nothing left behind (no server of the lab runs, its directory is
// gone). The lab's directory is made under a TMPDIR of the test's own, so that both can be checked exactly.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRedis } from '../helpers/redis.js';
import { requireTool } from '../helpers/require-tool.js';
import { spawnLab } from './lab-harness.js';

const hasRedis = requireRedis();
const hasCli = hasRedis && requireTool(spawnSync('redis-cli', ['--version']).error ? 'redis-cli not on PATH (Debian: redis-tools)' : null, 'the cluster lab bad-input tests');
const PASSWORD = 'cluster-bad-pw';
const redisServer = (): string => process.env.REDIS_SERVER_BIN ?? spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();

/** Processes whose command line names `dir`: the lab's servers run with --dir under it. */
function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A redis-server wrapper: the node named `victim` is sent `signal` (KILL, STOP) once the lab has introduced it to
 *  another node (CLUSTER MEET: the cluster is forming); every other node is a plain redis-server. It passes a
 *  SIGTERM on to its server (SIGCONT first: a stopped one would not act on it). */
function victimWrapper(dir: string, victim: string, signal: 'KILL' | 'STOP'): string {
  const file = path.join(dir, `redis-server-${signal.toLowerCase()}`);
  writeFileSync(file, `#!/bin/bash
case "$*" in *"/${victim}/redis.log"*) ;; *) exec "${redisServer()}" "$@" ;; esac
"${redisServer()}" "$@" &
child=$!
trap 'kill -CONT $child; kill -TERM $child; wait $child; exit 0' TERM INT
port=
prev=
for a in "$@"; do [ "$prev" = "--port" ] && port=$a; prev=$a; done
while kill -0 $child 2>/dev/null; do
  known=$(redis-cli -p "$port" -a "${PASSWORD}" --no-auth-warning CLUSTER INFO 2>/dev/null | tr -d '\\r' | sed -n 's/^cluster_known_nodes://p')
  [ "\${known:-0}" -gt 1 ] && break
  sleep 0.02
done
kill -${signal} $child
while kill -0 $child 2>/dev/null; do sleep 0.1 & wait $!; done
exit 1
`);
  chmodSync(file, 0o755);
  return file;
}

describe.skipIf(!hasCli)('repl-spy lab --cluster: a cluster that cannot be made', () => {
  let tmp: string;
  let tools: string;

  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(tools, { recursive: true, force: true });
  });

  /** Runs the lab to its end; what it printed, its exit code, and what it left under its TMPDIR. */
  async function runToFailure(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
    const lab = spawnLab(['--cluster', '3', '--cluster-replicas', '1', '--password', PASSWORD, '--rate', '0', ...args], { TMPDIR: tmp, ...env });
    const timer = setTimeout(() => lab.proc.kill('SIGINT'), 60_000); // a hang fails the test below, not the run
    const end = await lab.exit;
    clearTimeout(timer);
    // the guard and the servers are gone, and so is the lab's directory
    await new Promise((r) => setTimeout(r, 300));
    expect(processesUnder(tmp), 'processes of the lab left running').toEqual([]);
    expect(readdirSync(tmp), 'left in the lab\'s TMPDIR').toEqual([]);
    return { code: end.code, stderr: lab.out.stderr };
  }

  const setup = (): void => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cluster-bad-tmp-'));
    tools = mkdtempSync(path.join(os.tmpdir(), 'cluster-bad-tools-'));
  };

  it('a redis-server that refuses cluster mode (cluster-enabled no forced): the node named, exit 1, nothing left', async () => {
    setup();
    const refusing = path.join(tools, 'redis-server-no-cluster');
    writeFileSync(refusing, `#!/bin/sh\nexec "${redisServer()}" "$@" --cluster-enabled no\n`);
    chmodSync(refusing, 0o755);
    const { code, stderr } = await runToFailure(['--redis-server', refusing]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/repl-spy: master-1: redis-server-no-cluster refuses cluster mode \(started with --cluster-enabled yes, its INFO cluster says cluster_enabled:0\)/);
    expect(stderr).not.toMatch(/nodes started/);
  });

  it('a node that stops answering while the cluster forms: "did not form within" the deadline, what it waited for, exit 1, nothing left', async () => {
    setup();
    const started = Date.now();
    const { code, stderr } = await runToFailure(['--redis-server', victimWrapper(tools, 'replica-3-1', 'STOP')], { REPL_SPY_CLUSTER_FORM_TIMEOUT_MS: '3000' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/repl-spy lab: the cluster did not form within 3 s: waited for (every node to know every other|the replicas to take their masters \(CLUSTER REPLICATE\)|cluster_state:ok on every node, every replica in sync and known as such by every node)/);
    expect(stderr).toMatch(/a node may be stopped/);
    expect(stderr).toMatch(/servers stopped/);
    expect(Date.now() - started).toBeLessThan(30_000); // the test's deadline, not the default 30 s
  });

  it('a node killed while the cluster forms: named with its pid, exit 1, nothing left', async () => {
    setup();
    const { code, stderr } = await runToFailure(['--redis-server', victimWrapper(tools, 'replica-2-1', 'KILL')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/repl-spy lab: replica-2-1 \(pid \d+\) died while the cluster was being created/);
    expect(stderr).not.toMatch(/did not form/);
  });
});

describe.skipIf(!hasRedis)('repl-spy lab: cluster fault specs on the command line', () => {
  it.each([
    [['--cluster', '3', '--fault', 'shard=4,kill-master'], /there is no shard 4: the lab has 3/],
    [['--cluster', '3', '--cluster-replicas', '1', '--fault', 'node=replica-1-2,cut'], /there is no node replica-1-2: the lab has master-1, replica-1-1/],
    [['--cluster', '3', '--fault', 'failover=kill'], /the cluster lab has no Sentinel/],
    [['--fault', 'shard=1,kill-master'], /faults of the cluster lab \(--cluster N\)/],
  ])('%j: a usage error (exit 2) before any server starts', async (args, message) => {
    const lab = spawnLab(args);
    const end = await lab.exit;
    expect(end.code).toBe(2);
    expect(lab.out.stderr).toMatch(message);
    expect(lab.out.stderr).not.toMatch(/starting/);
  });
});
