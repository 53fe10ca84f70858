// `repl-spy lab --cluster N`: N real masters over the 16384 slots, each with its replicas, every node behind its
// own proxy and announcing that proxy as its client port (cluster-announce-port), so that replicas replicate
// through repl-spy and MOVED/ASK and CLUSTER SLOTS name proxy ports. The bus stays direct (its real port).
// The cluster is made with the lab's own client (ADDSLOTSRANGE, MEET, REPLICATE): no prompts, a deadline.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReplSpyError } from '../core/errors.js';
import type { WireSink } from '../core/events.js';
import { CLUSTER_SLOTS, keySlot } from '../core/key-slot.js';
import { startProxy, type Proxy, type ProxyLogger } from '../proxy/index.js';
import type { LinkRegistry } from '../proxy/link-registry.js';
import { startGuard, type Guard } from './guard.js';
import { freePort, sigtermAll, startRedisProcess, type RedisProcess } from './redis-process.js';

export const CLUSTER_NODE_TIMEOUT_MS = 3000;
export const CLUSTER_FORM_TIMEOUT_MS = 30_000;

export interface ClusterOptions {
  bin: string;
  masters: number;
  /** replicas per master */
  replicasPerMaster: number;
  password: string;
  onWire: WireSink;
  logger: ProxyLogger;
  registry: LinkRegistry;
  /** write load, SETs per second spread over the slots (0: none) */
  opsPerSec: number;
}

export interface ClusterNode {
  name: string;
  process: RedisProcess;
  front: Proxy;
  busPort: number;
  /** CLUSTER MYID */
  id: string;
}

export interface ClusterShard {
  /** the first and last slot it was given */
  slots: [number, number];
  master: ClusterNode;
  replicas: ClusterNode[];
}

export interface ClusterLab {
  dir: string;
  guard: Guard;
  shards: ClusterShard[];
  nodes: ClusterNode[];
  /** Gives the masters their slots, introduces the nodes, attaches the replicas (through their masters' proxies),
   *  waits for cluster_state:ok (30 s), starts the write load. After the output is attached: it shows the syncs. */
  form(): Promise<void>;
  /** Stops the write load, the proxies and the servers, removes the directory. Safe to call twice. */
  stop(): Promise<void>;
  killNow(): void;
}

export async function startClusterLab(opts: ClusterOptions): Promise<ClusterLab> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-cluster-'));
  const guard = startGuard(dir);
  const processes: RedisProcess[] = [];
  const fronts: Proxy[] = [];
  let loadTimer: NodeJS.Timeout | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (loadTimer) clearInterval(loadTimer);
      await Promise.all(fronts.map((f) => f.close()));
      await Promise.all(processes.map((p) => p.stop()));
      rmSync(dir, { recursive: true, force: true });
      guard.dismiss();
    })();
    return stopping;
  };

  try {
    const names = Array.from({ length: opts.masters }, (_, m) => [
      `master-${m + 1}`,
      ...Array.from({ length: opts.replicasPerMaster }, (_, r) => `replica-${m + 1}-${r + 1}`),
    ]).flat();
    const nodes: ClusterNode[] = [];
    for (const [i, name] of names.entries()) {
      const busPort = await freePort();
      const p = await startRedisProcess(opts.bin, name, dir, guard, {
        password: opts.password, diskless: false, replicas: opts.replicasPerMaster,
        cluster: { busPort, nodeTimeoutMs: CLUSTER_NODE_TIMEOUT_MS },
      });
      processes.push(p);
      const front = await startProxy({
        listen: { host: '127.0.0.1', port: 0 },
        upstream: { host: p.host, port: p.port },
        onWire: opts.registry.sinkFor(i, opts.onWire),
        logger: opts.logger,
      });
      fronts.push(front);
      opts.registry.setProxy(i, front);
      const info = String(await p.client.send(['INFO', 'cluster']));
      if (!/cluster_enabled:1/.test(info)) {
        throw new ReplSpyError('RSPY_LAB_START', `${name}: ${path.basename(opts.bin)} refuses cluster mode (INFO cluster: ${info.trim()})`, {
          hint: 'use a redis-server built with cluster support (Redis 7 or later)',
        });
      }
      await p.client.send(['CONFIG', 'SET', 'cluster-announce-port', String(front.address().port), 'cluster-announce-bus-port', String(busPort)]);
      nodes.push({ name, process: p, front, busPort, id: String(await p.client.send(['CLUSTER', 'MYID'])) });
    }
    const group = 1 + opts.replicasPerMaster;
    const shards = Array.from({ length: opts.masters }, (_, m): ClusterShard => {
      const first = Math.floor((m * CLUSTER_SLOTS) / opts.masters);
      const last = Math.floor(((m + 1) * CLUSTER_SLOTS) / opts.masters) - 1;
      return { slots: [first, last], master: nodes[m * group]!, replicas: nodes.slice(m * group + 1, (m + 1) * group) };
    });
    const form = async (): Promise<void> => {
      try {
        await formCluster(nodes, shards, CLUSTER_FORM_TIMEOUT_MS);
      } catch (err) {
        await stop();
        throw err;
      }
      if (opts.opsPerSec > 0) loadTimer = startClusterWriteLoad(shards, opts.opsPerSec, opts.logger);
    };
    return {
      dir, guard, shards, nodes, form, stop,
      killNow: () => sigtermAll(processes),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function formCluster(nodes: ClusterNode[], shards: ClusterShard[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const [first, ...others] = nodes as [ClusterNode, ...ClusterNode[]];
  for (const s of shards) await s.master.process.client.send(['CLUSTER', 'ADDSLOTSRANGE', s.slots[0], s.slots[1]]);
  // MEET names the real ports: the bus never goes through a proxy
  for (const n of others) await first.process.client.send(['CLUSTER', 'MEET', '127.0.0.1', n.process.port, n.busPort]);
  await waitUntil(deadline, 'every node to know every other', async () => {
    const counts = await Promise.all(nodes.map((n) => n.process.client.send(['CLUSTER', 'NODES']).then((t) => String(t).trim().split('\n').length)));
    return counts.every((c) => c === nodes.length);
  });
  for (const s of shards) for (const r of s.replicas) await r.process.client.send(['CLUSTER', 'REPLICATE', s.master.id]);
  await waitUntil(deadline, 'cluster_state:ok on every node and every replica in sync', async () => {
    const infos = await Promise.all(nodes.map(async (n) => String(await n.process.client.send(['CLUSTER', 'INFO'])) + String(await n.process.client.send(['INFO', 'replication']))));
    return infos.every((t) => /cluster_state:ok/.test(t) && (!/role:slave/.test(t) || /master_link_status:up/.test(t)));
  });
}

async function waitUntil(deadline: number, what: string, check: () => Promise<boolean>): Promise<void> {
  for (;;) {
    const done = await check().catch(() => false);
    if (done) return;
    if (Date.now() > deadline) {
      throw new ReplSpyError('RSPY_LAB_START', `the cluster did not form within ${CLUSTER_FORM_TIMEOUT_MS / 1000} s: waited for ${what}`, {
        hint: 'see the nodes\' redis.log files in the lab directory (printed at start); a node may have been killed',
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SETs of `cluster:key:N`, each sent to the master that owns its slot (through the lab's direct client). */
function startClusterWriteLoad(shards: ClusterShard[], opsPerSec: number, logger: ProxyLogger): NodeJS.Timeout {
  let n = 0;
  let failed = false;
  return setInterval(() => {
    const key = `cluster:key:${n % 1000}`;
    const slot = keySlot(Buffer.from(key));
    const shard = shards.find((s) => slot >= s.slots[0] && slot <= s.slots[1])!;
    shard.master.process.client.send(['SET', key, n++]).catch((err) => {
      if (!failed) logger.warn({ err }, 'cluster write load failed'); // once: a failover fails many writes
      failed = true;
    });
  }, 1000 / opsPerSec);
}
