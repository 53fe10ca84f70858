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
  /** An authenticated connection for the lab's own commands, opened again when it was closed (a killed and
   *  restarted server; Sentinel's CLIENT KILL when it reconfigures a server). */
  client: LabClient;
  /** how to connect to it (null: plaintext) */
  clientTls: ClientTls | null;
  /** Sends a signal (the lab's failover faults: SIGKILL, SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void;
  /** Not running (killed, or exited): `restart` brings it back. */
  readonly exited: boolean;
  /** Starts the server again on its port, directory and settings (after a SIGKILL); resolves once it answers. */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s), resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** The part of a RESP client the lab's own commands use. */
export interface LabClient {
  send: RespClient['send'];
  close(): void;
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
    try {
      const started = await spawnReady(bin, name, serverArgs({ ...opts, port, dir, logFile }), port, logFile, guard, opts.password, clientTls);
      return makeProcess({ bin, name, port, dir, logFile, password: opts.password, args: serverArgs({ ...opts, port, dir, logFile }), clientTls, guard }, started);
    } catch (err) {
      // Another process may have taken the port between our probe and redis-server's bind.
      if (attempt < PORT_ATTEMPTS && err instanceof ReplSpyError && err.hint?.includes('Address already in use')) continue;
      throw err;
    }
  }
}

/** Spawns a lab process (its own process group, watched by the guard) and waits until it answers PING. */
export async function spawnReady(
  bin: string,
  name: string,
  args: string[],
  port: number,
  logFile: string,
  guard: Guard,
  password: string | undefined,
  clientTls: ClientTls | null,
): Promise<{ proc: ChildProcess; client: RespClient }> {
  const proc = spawn(bin, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  if (proc.pid !== undefined) guard.watch(proc.pid);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  proc.once('error', (err) => (stderr += `\n${err.message}`)); // e.g. a binary that cannot be executed
  try {
    return { proc, client: await waitReady(port, proc, password, clientTls) };
  } catch (err) {
    await terminate(proc);
    if (proc.pid !== undefined) guard.release(proc.pid);
    const log = `${stderr}\n${tail(logFile)}`;
    throw new ReplSpyError('RSPY_LAB_START', `${name}: ${path.basename(bin)} did not start (${err instanceof Error ? err.message : String(err)})`, {
      hint: `its last words:\n${log.trim() || '(nothing)'}`,
    });
  }
}

interface ProcessSpec {
  bin: string;
  name: string;
  port: number;
  dir: string;
  logFile: string;
  password: string | undefined;
  args: string[];
  clientTls: ClientTls | null;
  guard: Guard;
}

function makeProcess(spec: ProcessSpec, first: { proc: ChildProcess; client: RespClient }): RedisProcess {
  const { name, port, dir, logFile, clientTls, guard } = spec;
  let proc = first.proc;
  let stopping: Promise<void> | null = null;
  const client = reconnecting(first.client, () => RespClient.connect('127.0.0.1', port, spec.password, { tls: clientTls }));
  return {
    name,
    host: '127.0.0.1',
    port,
    get pid() {
      return proc.pid!;
    },
    dir,
    logFile,
    client,
    clientTls,
    signal(signal) {
      proc.kill(signal);
    },
    get exited() {
      return proc.exitCode !== null || proc.signalCode !== null;
    },
    async restart() {
      await terminate(proc);
      guard.release(proc.pid!);
      proc = (await spawnReady(spec.bin, name, spec.args, port, logFile, guard, spec.password, clientTls)).proc;
    },
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

/** A client that opens its connection again when it finds it closed (asked again once when it closes under a
 *  command). */
function reconnecting(first: RespClient, connect: () => Promise<RespClient>): LabClient {
  let current: Promise<RespClient> = Promise.resolve(first);
  let closed = false;
  const fresh = async (): Promise<RespClient> => {
    const c = await current.catch(() => null);
    if (c && !c.closed) return c;
    if (closed) throw new Error('connection closed');
    current = connect();
    return current;
  };
  return {
    async send(args) {
      const c = await fresh();
      try {
        return await c.send(args);
      } catch (err) {
        if (!c.closed || closed) throw err;
        return (await fresh()).send(args);
      }
    },
    close() {
      closed = true;
      void current.then((c) => c.close(), () => {});
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
/** Last resort on a crash (process 'exit'): SIGTERM to every server; the guard finishes the cleanup. */
export function sigtermAll(processes: readonly RedisProcess[]): void {
  for (const p of processes) {
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

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
