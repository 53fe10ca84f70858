// Whatever reads repl-spy's output may go away: `--json | head -n 3`, a stderr reader that exits at start-up, a
// terminal that closes under the TUI. The output is closed with one log line, and the replica behind the proxy
// stays up and in step with its master (Redis is the oracle: master_link_status and the offsets).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cliPath } from '../helpers/cli.js';
import { freePort, requireRedis, startRedis, startReplicaThrough, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { requireTmux, Tmux } from './tui-terminal.js';

const hasRedis = requireRedis();
const STREAM_MS = 10_000;

const servers: RedisServer[] = [];
const procs: ChildProcess[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-output-faults-'));
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes to the master for `ms` while the replica streams through the proxy, then checks the replica is still
 *  up and reaches the master's offset. */
async function streamAndCheck(master: RedisServer, replica: RedisServer, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let i = 0; Date.now() < until; i++) {
    await master.cmd('SET', `key:${i % 1000}`, `value-${i}`);
    if (i % 200 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const info = await replica.info('replication');
  expect(info.master_link_status).toBe('up');
  const offset = Number((await master.info('replication')).master_repl_offset);
  await waitFor(async () => Number((await replica.info('replication')).slave_repl_offset) === offset, 20_000, 'the replica at the master offset');
}

async function masterWithReplicaThrough(port: number): Promise<{ master: RedisServer; replica: RedisServer }> {
  const replica = await startReplicaThrough(port);
  servers.push(replica);
  await waitForLinkUp(replica, 20_000);
  return { master: servers[0]!, replica };
}

function alive(p: ChildProcess): boolean {
  return p.exitCode === null && p.signalCode === null;
}

describe.skipIf(!hasRedis)('output consumers that go away', () => {
  it('`--json | head -n 3`: the proxy keeps forwarding, the replica stays up and in step', async () => {
    servers.push(await startRedis());
    const port = await freePort();
    // a shell pipeline as users type it; the proxy's stderr is ours
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${cliPath}" --listen 127.0.0.1:${port} --upstream 127.0.0.1:${servers[0]!.port} --json --no-capture | head -n 3`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    procs.push(sh);
    let stdout = '';
    let stderr = '';
    sh.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    sh.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(() => stderr.includes('listening on'), 10_000, `the proxy to listen (stderr: ${stderr})`);
      const { master, replica } = await masterWithReplicaThrough(port);
      await streamAndCheck(master, replica, STREAM_MS);
      expect(stdout.trim().split('\n')).toHaveLength(3); // head printed its three lines and exited
      expect(stderr).not.toMatch(/EPIPE\s+at|Error:/);
      expect(stderr).toMatch(/output .*closed.*forwarding/); // the one log line
      expect(stderr.match(/output .*closed/g)).toHaveLength(1);
      expect(alive(sh)).toBe(true); // sh waits for the proxy: it is still running
    } finally {
      if (sh.pid && alive(sh)) process.kill(-sh.pid, 'SIGTERM');
    }
  }, 60_000);

  it('a stderr reader that exits at start-up: the proxy runs on, its --json output too', async () => {
    servers.push(await startRedis());
    const port = await freePort();
    const proxy = spawn(process.execPath, [cliPath, '--listen', `127.0.0.1:${port}`, '--upstream', `127.0.0.1:${servers[0]!.port}`, '--json', '--no-capture'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(proxy);
    proxy.stderr!.destroy(); // nobody reads stderr: the start-up banner and every log line meet a closed pipe
    let stdout = '';
    proxy.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    await waitFor(async () => {
      if (!alive(proxy)) throw new Error(`the proxy exited (${proxy.exitCode ?? proxy.signalCode})`);
      return (await fetchable(port)) === true;
    }, 10_000, 'the proxy to listen');
    const { master, replica } = await masterWithReplicaThrough(port);
    await streamAndCheck(master, replica, 2_000);
    expect(alive(proxy)).toBe(true);
    const offset = Number((await master.info('replication')).master_repl_offset);
    await waitFor(() => stdout.includes(`"type":"command"`) && stdout.includes(`"offset":${offset},`), 10_000, 'the last command on stdout');
  }, 60_000);
});

const hasTmux = hasRedis && requireTmux();

describe.skipIf(!hasTmux)('the TUI loses its terminal', () => {
  it('killing the terminal stops the TUI, not the links: the replica stays up and in step', async () => {
    servers.push(await startRedis());
    const port = await freePort();
    const log = path.join(dir, 'tui.log');
    const term = Tmux.start(`repl-spy-tui-death-${process.pid}`, [
      process.execPath, cliPath, '--listen', `127.0.0.1:${port}`, '--upstream', `127.0.0.1:${servers[0]!.port}`, '--no-capture', '--log-file', log,
    ], dir, 100, 30);
    let pid = 0;
    try {
      await term.waitScreen('the TUI', (s) => s.includes('repl-spy [links]'));
      const { master, replica } = await masterWithReplicaThrough(port);
      pid = Number(/"pid":(\d+)/.exec(readFileSync(log, 'utf8'))?.[1]);
      expect(pid).toBeGreaterThan(0);
      term.hangUp(); // the terminal goes away: SIGHUP, then a dead tty
      await streamAndCheck(master, replica, 5_000);
      expect(() => process.kill(pid, 0)).not.toThrow(); // the proxy still runs
      await waitFor(() => /terminal .*closed|TUI stopped/.test(readFileSync(log, 'utf8')), 5_000, 'the log line about the TUI');
    } finally {
      term.kill();
      if (pid) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
  }, 60_000);
});

/** True once something accepts TCP connections on the port. */
async function fetchable(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
