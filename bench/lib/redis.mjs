// Real redis-server processes for the benchmarks: each on a free loopback port in its own temp dir, with a tiny
// RESP client (redis-parser, whose reply hook load.mjs takes over). Kept separate from the test helpers so the
// benchmarks run on dist/ with plain Node.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { freePort } from '../../dist/lab/redis-process.js';
import { encodeCommand } from '../../dist/net/resp-client.js';

const require = createRequire(import.meta.url);
const RedisParser = require('redis-parser');

export { encodeCommand };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseInfo(text) {
  const out = {};
  for (const line of String(text).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/** A pipelining RESP client: replies come back in order. */
export class RespClient {
  static connect(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RespClient(socket));
      });
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.socket.setNoDelay(true);
    this.pending = [];
    this.parser = new RedisParser({
      returnReply: (r) => this.pending.shift()?.resolve(r),
      returnError: (e) => this.pending.shift()?.reject(e),
    });
    socket.on('data', (d) => this.parser.execute(d));
    socket.on('error', (err) => this.failAll(err));
    socket.on('close', () => this.failAll(new Error('connection closed')));
  }

  failAll(err) {
    for (const p of this.pending.splice(0)) p.reject(err);
  }

  send(args) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  close() {
    this.socket.destroy();
  }
}


/** Starts redis-server with persistence off and DEBUG enabled; `args` are appended. */
/** `opts.port`: a given port (e.g. a master restarted where its proxy expects it) instead of a free one. */
export async function startRedis(args = [], opts = {}) {
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-'));
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--repl-diskless-sync-delay', '0', '--enable-debug-command', 'yes', '--logfile', 'redis.log', ...args],
      { stdio: 'ignore' },
    );
    let client = null;
    for (let i = 0; i < 250 && proc.exitCode === null; i++) {
      client = await RespClient.connect(port).catch(() => null);
      if (client) break;
      await sleep(20);
    }
    if (!client) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      if (attempt < 5) continue;
      throw new Error(`redis-server on port ${port} did not start`);
    }
    return makeServer(port, dir, proc, client);
  }
}

function makeServer(port, dir, proc, client) {
  let stopped = null;
  const server = {
    port,
    dir,
    pid: proc.pid,
    cmd: (...args) => client.send(args),
    /** A second connection, for polling while the main one is busy. */
    connect: () => RespClient.connect(port),
    async info(section = 'replication') {
      return parseInfo(await client.send(['INFO', section]));
    },
    stop() {
      stopped ??= (async () => {
        client.close();
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGKILL');
          await exited;
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  return server;
}

/** Fills the master with `bytes` of string values (`valueSize` each) and waits until it is done. */
export async function populate(master, bytes, valueSize = 1000) {
  const keys = Math.max(1, Math.round(bytes / (valueSize + 24)));
  await master.cmd('DEBUG', 'POPULATE', keys, 'key', valueSize);
  return keys;
}

/** The replication offset a replica has processed (from its own INFO). */
export async function replicaOffset(client) {
  const info = parseInfo(await client.send(['INFO', 'replication']));
  return Number(info.master_repl_offset ?? info.slave_repl_offset ?? 0);
}

async function waitFor(predicate, timeoutMs, what, pollMs = 10) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** Starts a replica of 127.0.0.1:`port` and waits for its link to be up with the initial sync done. */
export async function startReplicaOf(port, args = [], timeoutMs = 600_000) {
  const replica = await startRedis(args);
  await replica.cmd('REPLICAOF', '127.0.0.1', port);
  await waitFor(async () => isSynced(await replica.info()), timeoutMs, 'replica sync');
  return replica;
}

export function isSynced(info) {
  return info.master_link_status === 'up' && info.master_sync_in_progress === '0';
}
