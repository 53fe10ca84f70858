// Real redis-server processes for integration tests: each on a free loopback port, in its own temp dir,
// with a tiny RESP client. Redis is the oracle of these tests, so it is never mocked.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type Reply = string | number | null | Reply[];

export interface RedisServer {
  host: string;
  port: number;
  dir: string;
  /** Sends one command on the server's own connection (authenticated when a password was given). */
  cmd(...args: (string | number | Buffer)[]): Promise<Reply>;
  /** `INFO <section>` as an object of its `key:value` lines. */
  info(section?: string): Promise<Record<string, string>>;
  /** The last lines the server logged (included in every error this helper throws). */
  logTail(lines?: number): string;
  /** SIGSTOP: the process stops reading and acknowledging (a frozen replica); `resume()` sends SIGCONT. */
  pause(): void;
  resume(): void;
  /** SIGTERM, await exit, remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Extra redis-server arguments, e.g. ['--repl-diskless-sync', 'no']. */
  args?: string[];
  /** Sets --requirepass; the helper's client authenticates with it. */
  password?: string;
}

const READY_TIMEOUT_MS = 5_000;

export function findRedisServer(): string | null {
  const fromEnv = process.env.REDIS_SERVER_BIN;
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'redis-server');
    if (dir && isExecutable(candidate)) return candidate;
  }
  return null;
}

/** True when redis-server is available. Without it: throws under CI (the test file fails loudly), else warns
 *  loudly and returns false so the caller can `describe.skipIf(!hasRedis)`. */
export function requireRedis(): boolean {
  if (findRedisServer()) return true;
  const why =
    'redis-server not found on PATH (or REDIS_SERVER_BIN): install it (apt-get install redis-server) or set REDIS_SERVER_BIN';
  if (isCI()) throw new Error(`${why}. CI is set, so the real-Redis tests fail instead of being skipped.`);
  console.warn(`\n!!!!! SKIPPING real-Redis tests: ${why} !!!!!\n`);
  return false;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found (PATH or REDIS_SERVER_BIN)');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-redis-'));
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--repl-diskless-sync-delay', '0', '--enable-debug-command', 'yes',
      ...(opts.password === undefined ? [] : ['--requirepass', opts.password]),
      ...(opts.args ?? []),
    ];
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = new LogTail(proc);
    try {
      const client = await waitReady(port, proc, log, opts.password);
      return makeServer(port, dir, proc, log, client);
    } catch (err) {
      await terminate(proc);
      rmSync(dir, { recursive: true, force: true });
      // Another process may have taken the port between our probe and redis-server's bind.
      if (attempt < 5 && log.text().includes('Address already in use')) continue;
      throw err;
    }
  }
}

/** A replica that replicates from the proxy listening on `proxyPort` (on 127.0.0.1). */
export function startReplicaThrough(
  proxyPort: number,
  opts: { masterauth?: string; args?: string[] } = {},
): Promise<RedisServer> {
  return startRedis({
    args: [
      '--replicaof', '127.0.0.1', String(proxyPort),
      ...(opts.masterauth === undefined ? [] : ['--masterauth', opts.masterauth]),
      ...(opts.args ?? []),
    ],
  });
}

/** Polls `predicate` (a throw counts as "not yet") until it holds; the error names `what` and the last failure. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const last = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A loopback port nobody listens on right now (listen on 0, read it, close). */
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

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

// ---------------------------------------------------------------- internals

function makeServer(port: number, dir: string, proc: ChildProcess, log: LogTail, client: RespClient): RedisServer {
  let stopped: Promise<void> | null = null;
  const withLog = (err: unknown): never => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- redis :${port} log tail ---\n${log.text(20)}`);
  };
  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    dir,
    cmd: (...args) => client.send(args).catch(withLog),
    async info(section) {
      const text = await server.cmd(...(section ? ['INFO', section] : ['INFO']));
      return parseInfo(String(text));
    },
    logTail: (lines = 20) => log.text(lines),
    pause: () => void proc.kill('SIGSTOP'),
    resume: () => void proc.kill('SIGCONT'),
    stop() {
      stopped ??= (async () => {
        client.close();
        await terminate(proc);
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  return server;
}

async function waitReady(port: number, proc: ChildProcess, log: LogTail, password?: string): Promise<RespClient> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited before it was ready\n--- log tail ---\n${log.text(20)}`);
    }
    const client = await RespClient.connect(port).catch(() => null);
    if (client) {
      try {
        // A server with requirepass answers -NOAUTH: it is up all the same.
        const pong = await client.send(['PING']).catch((err: Error) => (err.message.startsWith('NOAUTH') ? 'PONG' : ''));
        if (pong === 'PONG') {
          if (password !== undefined) await client.send(['AUTH', password]);
          return client;
        }
      } catch {
        // not ready yet
      }
      client.close();
    }
    if (Date.now() > deadline) {
      throw new Error(`redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms\n--- log tail ---\n${log.text(20)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function terminate(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGCONT'); // a paused server would not act on SIGTERM
  proc.kill('SIGTERM');
  const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killTimer);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

class LogTail {
  private lines: string[] = [];
  constructor(proc: ChildProcess) {
    const add = (data: Buffer): void => {
      this.lines.push(...data.toString().split('\n').filter(Boolean));
      if (this.lines.length > 200) this.lines.splice(0, this.lines.length - 200);
    };
    proc.stdout?.on('data', add);
    proc.stderr?.on('data', add);
  }
  text(n = 200): string {
    return this.lines.slice(-n).join('\n');
  }
}

/** Minimal RESP2 client: one connection, commands pipelined, replies matched in order. */
class RespClient {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const failAll = (err: Error): void => {
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on('error', failAll);
    socket.on('close', () => failAll(new Error('connection closed')));
  }

  static connect(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RespClient(socket));
      });
    });
  }

  send(args: (string | number | Buffer)[]): Promise<Reply> {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
    }
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new Error('connection closed'));
      this.pending.push({ resolve, reject });
      this.socket.write(Buffer.concat(parts));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      let parsed: Parsed | null;
      try {
        parsed = parseReply(this.buffer, 0);
      } catch (err) {
        this.socket.destroy(err as Error);
        return;
      }
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const waiter = this.pending.shift();
      if (parsed.error !== undefined) waiter?.reject(new Error(parsed.error));
      else waiter?.resolve(parsed.value);
    }
  }
}

type Parsed = { value: Reply; error?: string; end: number };

/** One RESP2 reply starting at `pos`, or null when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, pos: number): Parsed | null {
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return null;
  const line = buf.toString('utf8', pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (buf[pos]) {
    case 0x2b: // +
      return { value: line, end: next };
    case 0x2d: // -
      return { value: null, error: line, end: next };
    case 0x3a: // :
      return { value: Number(line), end: next };
    case 0x24: {
      // $
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return null;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case 0x2a: {
      // *
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (!item) return null;
        items.push(item.error !== undefined ? `ERR ${item.error}` : item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP reply byte 0x${buf[pos]?.toString(16)} at ${pos}`);
  }
}
