// One lab redis-server: its own directory and log file, its own process group (a Ctrl-C aimed at repl-spy does
// not reach it: repl-spy stops it in order), watched by the guard so it never outlives repl-spy.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ReplSpyError } from '../core/errors.js';
import type { ClientTls } from '../net/tls-options.js';
import type { Guard } from './guard.js';
import { RespClient } from '../net/resp-client.js';
import { serverArgs, type ServerArgsOptions } from './server-args.js';

export interface RedisProcess {
  name: string;
  host: string;
  port: number;
  pid: number;
  dir: string;
  logFile: string;
  /** An authenticated connection for the lab's own commands. */
  client: RespClient;
  /** how to connect to it (null: plaintext) */
  clientTls: ClientTls | null;
  /** SIGTERM (SIGKILL after 5 s), resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;

export async function startRedisProcess(
  bin: string,
  name: string,
  labDir: string,
  guard: Guard,
  opts: Omit<ServerArgsOptions, 'port' | 'dir' | 'logFile'>,
  clientTls: ClientTls | null = null,
): Promise<RedisProcess> {
  const dir = path.join(labDir, name);
  const logFile = path.join(dir, 'redis.log');
  mkdirSync(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = spawn(bin, serverArgs({ ...opts, port, dir, logFile }), { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    if (proc.pid !== undefined) guard.watch(proc.pid);
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    try {
      const client = await waitReady(port, proc, opts.password, clientTls);
      return makeProcess(name, port, dir, logFile, proc, client, clientTls, guard);
    } catch (err) {
      await terminate(proc);
      if (proc.pid !== undefined) guard.release(proc.pid);
      const log = `${stderr}\n${tail(logFile)}`;
      // Another process may have taken the port between our probe and redis-server's bind.
      if (attempt < PORT_ATTEMPTS && log.includes('Address already in use')) continue;
      throw new ReplSpyError('RSPY_LAB_START', `${name}: redis-server did not start (${err instanceof Error ? err.message : String(err)})`, {
        hint: `its last words:\n${log.trim() || '(nothing)'}`,
      });
    }
  }
}

function makeProcess(
  name: string,
  port: number,
  dir: string,
  logFile: string,
  proc: ChildProcess,
  client: RespClient,
  clientTls: ClientTls | null,
  guard: Guard,
): RedisProcess {
  let stopping: Promise<void> | null = null;
  return {
    name,
    host: '127.0.0.1',
    port,
    pid: proc.pid!,
    dir,
    logFile,
    client,
    clientTls,
    stop() {
      stopping ??= (async () => {
        client.close();
        await terminate(proc);
        guard.release(proc.pid!);
      })();
      return stopping;
    },
  };
}

/** Polls until the server on `port` answers PING (authenticated when a password is given); throws when the
 *  process exits first or after READY_TIMEOUT_MS. */
export async function waitReady(port: number, proc: ChildProcess, password?: string, tls: ClientTls | null = null): Promise<RespClient> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`exited with ${proc.exitCode ?? proc.signalCode}`);
    const client = await RespClient.connect('127.0.0.1', port, password, { tls }).catch(() => null);
    if (client) {
      const pong = await client.send(['PING']).catch(() => null);
      if (pong === 'PONG') return client;
      client.close();
    }
    if (Date.now() > deadline) throw new Error(`no answer on port ${port} after ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** SIGTERM (SIGKILL after 5 s); resolves once the process is gone. */
export async function terminate(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGCONT'); // a stopped (SIGSTOP) server would not act on SIGTERM
  proc.kill('SIGTERM');
  const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killTimer);
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
