// The lab's Sentinels: N real redis-sentinel processes, each in its own directory with its own config file (Sentinel
// rewrites it), monitoring the master at its proxy listener, so that what Sentinel does to the servers goes
// through repl-spy. Each one's events (+sdown, +odown, +switch-master...) are read from its pub/sub on a side
// connection. They never outlive the lab (the guard watches them like the servers).
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import { RespClient } from '../net/resp-client.js';
import type { ClientTls } from '../net/tls-options.js';
import type { Guard } from './guard.js';
import { freePort, spawnReady, terminate } from './redis-process.js';
import { addLabCert, type LabCerts } from './tls-certs.js';

/** The name the Sentinels know the lab's master by. */
export const MASTER_NAME = 'lab';

export interface SentinelTimings {
  /** `down-after-milliseconds`: unreachable this long, the master is subjectively down */
  downAfterMs: number;
  /** `failover-timeout` */
  failoverTimeoutMs: number;
}

export const LAB_SENTINEL_TIMINGS: SentinelTimings = { downAfterMs: 1000, failoverTimeoutMs: 5000 };

export interface SentinelMessage {
  /** "host:port" of the Sentinel */
  sentinel: string;
  channel: string;
  message: string;
  at: number;
}

export interface Sentinel {
  name: string;
  port: number;
  pid: number;
  logFile: string;
  /** what it knows of the master now: the other Sentinels and the replicas it found */
  view(): Promise<{ master: string; replicas: number; sentinels: number; flags: string }>;
  /** SENTINEL FAILOVER: a failover now, without the agreement of the others */
  failover(): Promise<void>;
  stop(): Promise<void>;
}

export interface SentinelOptions {
  bin: string;
  count: number;
  labDir: string;
  guard: Guard;
  /** the master's proxy listener: where the Sentinels look for it */
  master: HostPort;
  /** the default user's password (a --masteruser may only replicate: Sentinel needs more) */
  password: string;
  timings: SentinelTimings;
  onMessage(m: SentinelMessage): void;
  now(): number;
  /** `lab --tls`: each Sentinel TLS-only with its own certificate from the lab's CA, talking TLS to the servers'
   *  proxies and to the other Sentinels; the lab's own connections to it present `clientTls` */
  tls?: { certs: LabCerts; clientTls: ClientTls };
}

export async function startSentinels(opts: SentinelOptions): Promise<Sentinel[]> {
  const started: Sentinel[] = [];
  try {
    for (let i = 1; i <= opts.count; i++) started.push(await startSentinel(opts, `sentinel-${i}`));
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
  return started;
}

async function startSentinel(opts: SentinelOptions, name: string): Promise<Sentinel> {
  const dir = path.join(opts.labDir, name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const logFile = path.join(dir, 'sentinel.log');
  const config = path.join(dir, 'sentinel.conf');
  const { downAfterMs, failoverTimeoutMs } = opts.timings;
  const tls = opts.tls ? { ...addLabCert(opts.tls.certs, name), ca: opts.tls.certs.ca } : null;
  writeFileSync(
    config,
    [
      ...(tls
        ? ['port 0', `tls-port ${port}`, `tls-cert-file ${tls.cert}`, `tls-key-file ${tls.key}`, `tls-ca-cert-file ${tls.ca}`,
           'tls-replication yes', 'tls-auth-clients yes']
        : [`port ${port}`]),
      'bind 127.0.0.1',
      'daemonize no',
      `dir ${dir}`,
      `logfile ${logFile}`,
      `sentinel monitor ${MASTER_NAME} ${opts.master.host} ${opts.master.port} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${downAfterMs}`,
      `sentinel failover-timeout ${MASTER_NAME} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${MASTER_NAME} 16`,
      `sentinel auth-pass ${MASTER_NAME} ${opts.password}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const clientTls = opts.tls?.clientTls ?? null;
  const { proc, client } = await spawnReady(opts.bin, name, [config], port, logFile, opts.guard, undefined, clientTls);
  const where = formatHostPort('127.0.0.1', port);
  const events = await RespClient.connect('127.0.0.1', port, undefined, { tls: clientTls });
  events.onPush((reply) => {
    if (!Array.isArray(reply) || reply[0] !== 'pmessage') return;
    const channel = String(reply[2]);
    if (channel === '__sentinel__:hello') return; // their discovery chatter, twice a second
    opts.onMessage({ sentinel: where, channel, message: String(reply[3]), at: opts.now() });
  });
  await events.send(['PSUBSCRIBE', '*']);
  let stopping: Promise<void> | null = null;
  return {
    name,
    port,
    pid: proc.pid!,
    logFile,
    async view() {
      const fields = (await client.send(['SENTINEL', 'MASTER', MASTER_NAME])) as string[];
      const f = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
      return {
        master: `${f.get('ip')}:${f.get('port')}`,
        replicas: Number(f.get('num-slaves') ?? 0),
        sentinels: Number(f.get('num-other-sentinels') ?? 0),
        flags: f.get('flags') ?? '',
      };
    },
    async failover() {
      await client.send(['SENTINEL', 'FAILOVER', MASTER_NAME]);
    },
    stop() {
      stopping ??= (async () => {
        events.close();
        client.close();
        await terminate(proc);
        opts.guard.release(proc.pid!);
      })();
      return stopping;
    },
  };
}
