// TLS for the benchmarks: the lab's certificate maker (openssl) in a temp directory, and the redis-server
// arguments for replication over TLS (the plaintext port stays for the benchmark's own control connections).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeLabCerts } from '../../dist/lab/tls-certs.js';

export function makeBenchTls() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-tls-'));
  const { ca, certs } = makeLabCerts(dir, ['master', 'replica', 'repl-spy']);
  const files = (name) => ['--tls-cert-file', certs[name].cert, '--tls-key-file', certs[name].key, '--tls-ca-cert-file', ca];
  return {
    /** for proxy-child.mjs: its certificate as the replicas' server and as the master's client */
    proxy: { ca, ...certs['repl-spy'] },
    /** the master also listens with TLS on `tlsPort` */
    masterArgs: (tlsPort) => ['--tls-port', String(tlsPort), ...files('master')],
    /** a replica that replicates over TLS */
    replicaArgs: [...files('replica'), '--tls-replication', 'yes'],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
