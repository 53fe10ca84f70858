// Real redis-server processes for integration tests: each on a free loopback port, in its own temp dir, spoken to
// with the lab's RESP client. Redis is the oracle of these tests, so it is never mocked.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReplSpyError } from '../../src/core/errors.js';
import { findRedisSentinel, findRedisServer as findLabRedisServer } from '../../src/lab/redis-binary.js';
import type { CertFiles } from '../../src/lab/tls-certs.js';
import { clientTlsFromFlags, type ClientTls } from '../../src/net/tls-options.js';
import { freePort, terminate, waitReady } from '../../src/lab/redis-process.js';
import type { Reply, RespClient } from '../../src/net/resp-client.js';

export type { Reply };
export { freePort };

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
  /** Stops the process (SIGTERM: it saves as configured) and starts it again on the same port, dir and arguments;
   *  resolves once it answers. */
  restart(): Promise<void>;
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
  /** TLS only: `port` is the tls-port (the plaintext port is off); clients must present a certificate of `ca`.
   *  The helper's own connection presents the server's certificate. */
  tls?: RedisTls;
}

export interface RedisTls {
  /** tls-cert-file and tls-key-file */
  cert: CertFiles;
  /** tls-ca-cert-file: what it trusts in others */
  ca: string;
  /** tls-replication yes: as a replica, connect to the master with TLS */
  replication?: boolean;
  /** for a server whose certificate comes from another CA than `ca`: that CA, and a certificate of `ca` for the
   *  helper's own connection (default: `ca` and `cert`) */
  issuer?: string;
  helperCert?: CertFiles;
}

/** How the helper connects to a server with `tls`. */
export function clientTlsFor(tls: RedisTls): ClientTls {
  const as = tls.helperCert ?? tls.cert;
  return clientTlsFromFlags({ upstreamTls: true, upstreamCa: tls.issuer ?? tls.ca, upstreamCert: as.cert, upstreamKey: as.key })!;
}

function tlsArgs(port: number, tls: RedisTls | undefined): string[] {
  if (!tls) return ['--port', String(port)];
  return [
    '--port', '0', '--tls-port', String(port),
    '--tls-cert-file', tls.cert.cert, '--tls-key-file', tls.cert.key, '--tls-ca-cert-file', tls.ca,
    ...(tls.replication ? ['--tls-replication', 'yes'] : []),
  ];
}

/** REDIS_SERVER_BIN when set (and then only it), else redis-server on PATH; null when that is not executable. */
export function findRedisServer(): string | null {
  try {
    return findLabRedisServer(process.env.REDIS_SERVER_BIN || undefined);
  } catch (err) {
    if (err instanceof ReplSpyError) return null;
    throw err;
  }
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

/** True when redis-sentinel is available (REDIS_SENTINEL_BIN or PATH); as requireRedis: fails loudly under CI. */
export function requireSentinel(): boolean {
  try {
    findRedisSentinel(process.env.REDIS_SENTINEL_BIN || undefined);
    return true;
  } catch (err) {
    if (!(err instanceof ReplSpyError)) throw err;
  }
  const why = 'redis-sentinel not found on PATH (or REDIS_SENTINEL_BIN): install it (apt-get install redis-sentinel) or set REDIS_SENTINEL_BIN';
  if (isCI()) throw new Error(`${why}. CI is set, so the Sentinel tests fail instead of being skipped.`);
  console.warn(`\n!!!!! SKIPPING Sentinel tests: ${why} !!!!!\n`);
  return false;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = findRedisServer();
  if (!bin) throw new Error('redis-server not found (PATH or REDIS_SERVER_BIN)');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-redis-'));
    const args = [
      ...tlsArgs(port, opts.tls), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--repl-diskless-sync-delay', '0', '--enable-debug-command', 'yes',
      ...(opts.password === undefined ? [] : ['--requirepass', opts.password]),
      ...(opts.args ?? []),
    ];
    const launch = async (): Promise<{ proc: ChildProcess; log: LogTail; client: RespClient }> => {
      const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const log = new LogTail(proc);
      try {
        const client = await waitReady(port, proc, opts.password, opts.tls ? clientTlsFor(opts.tls) : null);
        return { proc, log, client };
      } catch (err) {
        await terminate(proc);
        throw Object.assign(new Error(`redis-server on port ${port} did not start: ${(err as Error).message}\n--- log tail ---\n${log.text(20)}`), { log });
      }
    };
    try {
      return makeServer(port, dir, await launch(), launch);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      // Another process may have taken the port between our probe and redis-server's bind.
      if (attempt < 5 && (err as { log?: LogTail }).log?.text().includes('Address already in use')) continue;
      throw err;
    }
  }
}

/** The servers one test file starts, stopped together: `afterAll(() => pool.stopAll())`. */
export function redisPool(): { start(opts?: StartRedisOptions): Promise<RedisServer>; stopAll(): Promise<void> } {
  const servers: RedisServer[] = [];
  return {
    async start(opts) {
      const s = await startRedis(opts);
      servers.push(s);
      return s;
    },
    stopAll: async () => void (await Promise.all(servers.map((s) => s.stop()))),
  };
}

/** A replica that replicates from the proxy listening on `proxyPort` (on 127.0.0.1). */
export function startReplicaThrough(
  proxyPort: number,
  opts: { masterauth?: string; args?: string[]; tls?: RedisTls } = {},
): Promise<RedisServer> {
  return startRedis({
    tls: opts.tls,
    args: [
      '--replicaof', '127.0.0.1', String(proxyPort),
      ...(opts.masterauth === undefined ? [] : ['--masterauth', opts.masterauth]),
      ...(opts.args ?? []),
    ],
  });
}

/** Waits until the replica reports `master_link_status:up` (its full or partial sync is done). */
export function waitForLinkUp(replica: RedisServer, timeoutMs = 30_000): Promise<void> {
  return waitFor(async () => (await replica.info('replication')).master_link_status === 'up', timeoutMs, `replica :${replica.port} link up`);
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

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

// ---------------------------------------------------------------- internals

type Launched = { proc: ChildProcess; log: LogTail; client: RespClient };

function makeServer(port: number, dir: string, first: Launched, launch: () => Promise<Launched>): RedisServer {
  let { proc, log, client } = first;
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
    async restart() {
      client.close();
      await terminate(proc);
      ({ proc, log, client } = await launch());
    },
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

/** True when the CI variable is set (as CI systems and `.ci/run` do): missing tools then fail tests, never skip them. */
export function isCI(): boolean {
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
