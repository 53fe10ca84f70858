// TLS for the integration tests: certificates made by the lab's own generator (openssl) in a temp directory, a
// trusted CA and a foreign one, and the gate for what TLS tests need (openssl, a redis-server built with TLS).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeLabCerts, type CertFiles } from '../../src/lab/tls-certs.js';
import { clientTlsFromFlags, serverTlsFromFlags, type ClientTls, type ServerTls } from '../../src/net/tls-options.js';
import { findRedisServer, isCI } from './redis.js';

export interface TestCerts {
  dir: string;
  /** the CA that signed master, replica-1, replica-2, repl-spy */
  ca: string;
  master: CertFiles;
  replica1: CertFiles;
  replica2: CertFiles;
  proxy: CertFiles;
  /** signed by `otherCa`, which nothing trusts */
  rogue: CertFiles;
  otherCa: string;
  remove(): void;
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-tls-'));
  const main = makeLabCerts(path.join(dir, 'trusted'), ['master', 'replica-1', 'replica-2', 'repl-spy']);
  const other = makeLabCerts(path.join(dir, 'foreign'), ['rogue'], 'foreign CA');
  const c = main.certs;
  return {
    dir,
    ca: main.ca,
    master: c.master!,
    replica1: c['replica-1']!,
    replica2: c['replica-2']!,
    proxy: c['repl-spy']!,
    rogue: other.certs.rogue!,
    otherCa: other.ca,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The proxy's listener with its certificate, requiring client certificates of `ca`. */
export function listenTlsOf(certs: TestCerts, ca: string | undefined = certs.ca): ServerTls {
  return serverTlsFromFlags({ tlsCert: certs.proxy.cert, tlsKey: certs.proxy.key, tlsCa: ca })!;
}

/** Connecting to a server of `ca` (as repl-spy, with its client certificate). */
export function upstreamTlsOf(certs: TestCerts, opts: { ca?: string; insecure?: boolean; clientCert?: boolean; sni?: string } = {}): ClientTls {
  return clientTlsFromFlags({
    upstreamTls: true,
    upstreamCa: opts.ca ?? certs.ca,
    upstreamSni: opts.sni,
    ...(opts.clientCert === false ? {} : { upstreamCert: certs.proxy.cert, upstreamKey: certs.proxy.key }),
    upstreamInsecure: opts.insecure,
  })!;
}

/** True when openssl is there and redis-server speaks TLS. Without them: throws under CI, else warns loudly
 *  and returns false (the caller skips). */
export function requireTls(): boolean {
  const bin = findRedisServer();
  const why = !bin
    ? 'redis-server not found'
    : spawnSync('openssl', ['version']).status !== 0
      ? 'openssl not found (apt-get install openssl)'
      : !redisSpeaksTls(bin)
        ? `${bin} is built without TLS (Debian's redis-server has it)`
        : null;
  if (why === null) return true;
  if (isCI()) throw new Error(`${why}. CI is set, so the TLS tests fail instead of being skipped.`);
  console.warn(`\n!!!!! SKIPPING TLS tests: ${why} !!!!!\n`);
  return false;
}

/** A server without TLS rejects --tls-port as an unknown option; one with TLS only says it listens nowhere. */
function redisSpeaksTls(bin: string): boolean {
  const out = spawnSync(bin, ['--port', '0', '--tls-port', '0'], { encoding: 'utf8', timeout: 5_000 });
  return /not listen anywhere/.test(`${out.stdout}${out.stderr}`);
}
