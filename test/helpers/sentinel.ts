// Real redis-sentinel processes for the tests of `tail --follow`: each on a free loopback port with its own config
// file in a temp dir (Sentinel rewrites it), monitoring one master under a quorum of 1 with short timeouts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, terminate, waitReady } from '../../src/lab/redis-process.js';
import type { Reply, RespClient } from '../../src/net/resp-client.js';
import { clientTlsFor, isCI, type RedisTls } from './redis.js';

export interface Sentinel {
  port: number;
  cmd(...args: (string | number)[]): Promise<Reply>;
  stop(): Promise<void>;
}

/** True when redis-sentinel is on PATH; under CI its absence fails the test file, locally it skips loudly. */
export function requireSentinel(): boolean {
  if (!spawnSync('redis-sentinel', ['--version']).error) return true;
  const why = 'redis-sentinel not found on PATH: install it (apt-get install redis-sentinel)';
  if (isCI()) throw new Error(`${why}. CI is set, so the Sentinel tests fail instead of being skipped.`);
  console.warn(`\n!!!!! SKIPPING Sentinel tests: ${why} !!!!!\n`);
  return false;
}

/** `tls`: Sentinel listens on a TLS port only (clients present a certificate of `ca`) and reaches the servers
 *  with TLS (tls-replication yes); the helper's own connection presents `cert`. */
export async function startSentinel(name: string, masterPort: number, tls?: RedisTls): Promise<Sentinel> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-sentinel-'));
  const config = path.join(dir, 'sentinel.conf');
  const listen = tls
    ? ['port 0', `tls-port ${port}`, `tls-cert-file ${tls.cert.cert}`, `tls-key-file ${tls.cert.key}`, `tls-ca-cert-file ${tls.ca}`, 'tls-replication yes']
    : [`port ${port}`];
  writeFileSync(config, [
    ...listen, 'bind 127.0.0.1', `dir ${dir}`,
    `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
    `sentinel down-after-milliseconds ${name} 1000`,
    `sentinel failover-timeout ${name} 10000`, '',
  ].join('\n'));
  const proc: ChildProcess = spawn('redis-sentinel', [config], { stdio: ['ignore', 'ignore', 'ignore'] });
  let client: RespClient;
  try {
    client = await waitReady(port, proc, undefined, tls ? clientTlsFor(tls) : null);
  } catch (err) {
    await terminate(proc);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    cmd: (...args) => client.send(args),
    async stop() {
      client.close();
      await terminate(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
