// `repl-spy lab`: a real master and N real replicas, each in its own directory on free loopback ports, every
// replica replicating through an in-process proxy. Every server has a proxy in front of it, so a replica can be
// re-pointed at a promoted sibling and stay observed. The servers never outlive the lab (see guard.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WireSink } from '../core/events.js';
import { clientTlsFromFlags, serverTlsFromFlags, type ClientTls, type ServerTls } from '../net/tls-options.js';
import { startProxy, type Proxy, type ProxyLogger } from '../proxy/index.js';
import { startGuard, type Guard } from './guard.js';
import type { LinkRegistry } from '../proxy/link-registry.js';
import { loadKeys, startWriteLoad, type WriteLoad } from './dataset.js';
import { RespClient } from '../net/resp-client.js';
import { sigtermAll, startRedisProcess, type RedisProcess } from './redis-process.js';
import { LAB_SENTINEL_TIMINGS, startSentinels, type Sentinel, type SentinelMessage } from './sentinels.js';
import { makeLabCerts, type LabCerts } from './tls-certs.js';

export interface LabOptions {
  bin: string;
  replicas: number;
  diskless: boolean;
  password: string;
  keys: number;
  /** write load, operations per second (0: none) */
  opsPerSec: number;
  onWire: WireSink;
  logger: ProxyLogger;
  registry: LinkRegistry;
  /** every server TLS-only (tls-port, port 0, tls-replication yes), with certificates made for the lab */
  tls: boolean;
  /** replicas authenticate as this ACL user (password: `password`) that may only replicate */
  masteruser?: string;
  /** every server announces its own proxy listener (replica-announce-ip/port), as Sentinel needs */
  announceFronts: boolean;
}

export interface LabServer {
  name: string;
  process: RedisProcess;
  /** the proxy in front of this server: replicas of it connect here */
  front: Proxy;
  /** the port it announces as a replica (REPLCONF listening-port): its front's with announceFronts, else its own */
  announcedPort: number;
}

export interface Lab {
  dir: string;
  /** with --tls: the CA and the certificates (repl-spy's is "repl-spy") */
  certs: LabCerts | null;
  guard: Guard;
  master: LabServer;
  replicas: LabServer[];
  /** Points every replica at the master's proxy (all at once, so they share one snapshot), starts the write load. */
  replicate(): Promise<void>;
  /** With announceFronts: has the server announce its proxy listener (again, after a restart). */
  announce(server: LabServer): Promise<void>;
  /** The Sentinels started by startSentinels (stopped first by stop, so that they reconfigure nothing). */
  sentinels: Sentinel[];
  /** Starts `count` Sentinels monitoring the master at its proxy listener (after replicate: they find the
   *  replicas in its INFO). */
  startSentinels(bin: string, count: number, onMessage: (m: SentinelMessage) => void, now: () => number): Promise<void>;
  /** Resolves once every replica reports master_link_status:up (rejects after `timeoutMs`). */
  inSync(timeoutMs: number): Promise<void>;
  /** Stops the write load, the proxies and the servers, removes the directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Last resort on a crash (process 'exit'): SIGTERM to every server; the guard finishes the cleanup. */
  killNow(): void;
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-lab-'));
  const guard = startGuard(dir);
  const registry = opts.registry;
  const processes: RedisProcess[] = [];
  const fronts: Proxy[] = [];
  const sentinels: Sentinel[] = [];
  let load: WriteLoad | null = null;

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      load?.stop();
      await Promise.all(sentinels.map((s) => s.stop()));
      await Promise.all(fronts.map((f) => f.close()));
      await Promise.all(processes.map((p) => p.stop()));
      rmSync(dir, { recursive: true, force: true });
      guard.dismiss();
    })();
    return stopping;
  };

  try {
    const names = ['master', ...Array.from({ length: opts.replicas }, (_, i) => `replica-${i + 1}`)];
    const certs = opts.tls ? makeLabCerts(path.join(dir, 'tls'), [...names, 'repl-spy']) : null;
    const { listenTls, upstreamTls } = proxyTls(certs);
    const started = await Promise.allSettled(
      names.map((name) =>
        startRedisProcess(
          opts.bin,
          name,
          dir,
          guard,
          {
            password: opts.password,
            diskless: opts.diskless,
            replicas: opts.replicas,
            masteruser: opts.masteruser,
            tls: certs ? { ...certs.certs[name]!, ca: certs.ca } : undefined,
          },
          upstreamTls, // the lab's own connections present repl-spy's certificate
        ),
      ),
    );
    for (const s of started) if (s.status === 'fulfilled') processes.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    for (const [i, p] of processes.entries()) {
      const front = await startProxy({
        listen: { host: '127.0.0.1', port: 0 },
        upstream: { host: p.host, port: p.port },
        onWire: registry.sinkFor(i, opts.onWire),
        logger: opts.logger,
        listenTls,
        upstreamTls,
      });
      fronts.push(front);
      registry.setProxy(i, front);
    }
    const servers = processes.map((p, i) => ({ name: p.name, process: p, front: fronts[i]!, announcedPort: opts.announceFronts ? fronts[i]!.address().port : p.port }));
    // Sentinel finds the replicas in the master's INFO and reaches them at the address they announce: their proxies
    const announce = async (s: LabServer): Promise<void> => {
      if (opts.announceFronts) await s.process.client.send(['CONFIG', 'SET', 'replica-announce-ip', '127.0.0.1', 'replica-announce-port', String(s.announcedPort)]);
    };
    for (const s of servers) await announce(s);
    const [master, ...replicas] = servers as [LabServer, ...LabServer[]];

    await loadKeys(master.process.client, opts.keys);

    const replicate = async (): Promise<void> => {
      const masterFront = master.front.address();
      await Promise.all(replicas.map((r) => r.process.client.send(['REPLICAOF', masterFront.host, masterFront.port])));
      const loadClient = await RespClient.connect(master.process.host, master.process.port, opts.password, { tls: master.process.clientTls });
      load = startWriteLoad(loadClient, opts.opsPerSec, (err) => opts.logger.warn({ err }, 'write load failed'));
    };
    return {
      dir,
      certs,
      guard,
      master,
      replicas,
      replicate,
      announce,
      sentinels,
      async startSentinels(bin, count, onMessage, now) {
        const front = master.front.address();
        const started = await startSentinels({
          bin, count, labDir: dir, guard, master: { host: '127.0.0.1', port: front.port }, password: opts.password,
          timings: LAB_SENTINEL_TIMINGS, onMessage, now, tls: certs && upstreamTls ? { certs, clientTls: upstreamTls } : undefined,
        });
        sentinels.push(...started);
      },
      stop,
      inSync: (timeoutMs) => waitInSync(replicas, timeoutMs),
      killNow: () => sigtermAll(processes),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The proxies' TLS with the lab's certificates, built from the same settings as the command-line flags. */
function proxyTls(certs: LabCerts | null): { listenTls: ServerTls | null; upstreamTls: ClientTls | null } {
  if (!certs) return { listenTls: null, upstreamTls: null };
  const own = certs.certs['repl-spy']!;
  return {
    listenTls: serverTlsFromFlags({ tlsCert: own.cert, tlsKey: own.key, tlsCa: certs.ca }),
    upstreamTls: clientTlsFromFlags({ upstreamTls: true, upstreamCa: certs.ca, upstreamCert: own.cert, upstreamKey: own.key }),
  };
}

async function waitInSync(replicas: LabServer[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await Promise.all(
      replicas.map((r) => r.process.client.send(['INFO', 'replication']).then((t) => /master_link_status:up/.test(String(t))).catch(() => false)),
    );
    if (states.every(Boolean)) return;
    if (Date.now() > deadline) {
      const behind = replicas.filter((_, i) => !states[i]).map((r) => r.name);
      throw new Error(`${behind.join(', ')} not in sync after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
