// The redis-server command line of a lab server. Pure. Persistence is the hybrid AOF of the seed documents;
// RDB snapshots are off, so the only BGSAVEs are the ones replication asks for.
import type { CertFiles } from './tls-certs.js';

export interface ServerArgsOptions {
  port: number;
  dir: string;
  logFile: string;
  password: string;
  diskless: boolean;
  /** master only: how many replicas a diskless sync waits for before it forks (so they share one snapshot) */
  replicas: number;
  /** TLS only: `port` is the tls-port, the plaintext port is off, replication and clients use TLS */
  tls?: CertFiles & { ca: string };
  /** replicate as this ACL user (with `password`), which every server has with only the replication commands */
  masteruser?: string;
  /** cluster mode: the node's bus port (cluster-port) and its node timeout */
  cluster?: { busPort: number; nodeTimeoutMs: number };
}

/** What an ACL user needs to replicate (Redis's ACL documentation). */
export const REPLICATION_ACL = ['+psync', '+replconf', '+ping'];

export function serverArgs(o: ServerArgsOptions): string[] {
  return [
    ...(o.tls
      ? [
          '--port', '0', '--tls-port', String(o.port),
          '--tls-cert-file', o.tls.cert, '--tls-key-file', o.tls.key, '--tls-ca-cert-file', o.tls.ca,
          '--tls-replication', 'yes', '--tls-auth-clients', 'yes',
        ]
      : ['--port', String(o.port)]),
    '--bind', '127.0.0.1',
    '--dir', o.dir,
    '--logfile', o.logFile,
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--aof-use-rdb-preamble', 'yes',
    '--requirepass', o.password,
    '--masterauth', o.password,
    ...(o.masteruser ? ['--user', o.masteruser, 'on', `>${o.password}`, ...REPLICATION_ACL, '--masteruser', o.masteruser] : []),
    '--enable-debug-command', 'local',
    // Redis 7 masters wait up to 10 s on SIGTERM for lagging replicas; the lab stops its replicas too.
    '--shutdown-timeout', '0',
    ...(o.cluster
      ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(o.cluster.busPort),
         '--cluster-node-timeout', String(o.cluster.nodeTimeoutMs), '--cluster-announce-ip', '127.0.0.1']
      : []),
    ...(o.diskless
      ? ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '5', '--repl-diskless-sync-max-replicas', String(o.replicas)]
      : ['--repl-diskless-sync', 'no', '--repl-diskless-sync-delay', '0']),
  ];
}
