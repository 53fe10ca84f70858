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
/** Not a flag: lets a test see the formation deadline pass without waiting 30 s (milliseconds). */
export const FORM_TIMEOUT_ENV = 'REPL_SPY_CLUSTER_FORM_TIMEOUT_MS';
/** One check of the formation (a node's INFO) gives up after this: a stopped node must not hang it. */
const CHECK_TIMEOUT_MS = 2000;

/** The formation deadline: 30 s, or the test's (a positive number of ms in FORM_TIMEOUT_ENV). */
export function formTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env[FORM_TIMEOUT_ENV]);
  return ms > 0 ? ms : CLUSTER_FORM_TIMEOUT_MS;
}

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

/** The nodes' names in the order they start and are printed: each master, then its replicas. */
export function clusterNodeNames(masters: number, replicasPerMaster: number): string[] {
  return Array.from({ length: masters }, (_, m) => [
    `master-${m + 1}`,
    ...Array.from({ length: replicasPerMaster }, (_, r) => `replica-${m + 1}-${r + 1}`),
  ]).flat();
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
    const names = clusterNodeNames(opts.masters, opts.replicasPerMaster);
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
        const said = /cluster_enabled:\d/.exec(info)?.[0] ?? info.trim().replace(/\s+/g, ' ');
        throw new ReplSpyError('RSPY_LAB_START', `${name}: ${path.basename(opts.bin)} refuses cluster mode (started with --cluster-enabled yes, its INFO cluster says ${said})`, {
          hint: 'use a redis-server built with cluster support (Redis 7 or later) whose configuration does not turn cluster-enabled off; every server the lab started is stopped',
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
        await formCluster(nodes, shards, formTimeoutMs()).catch((err: unknown) => {
          throw diedDuringCreation(nodes) ?? err;
        });
      } catch (err) {
        await stop();
        throw err;
      }
      if (opts.opsPerSec > 0) loadTimer = startClusterWriteLoad(shards, nodes, opts.opsPerSec, opts.logger);
    };
    return {
      dir, guard, shards, nodes, form, stop,
      killNow: () => sigtermAll(processes),
    };
  } catch (err) {
    const died = diedDuringCreation(processes.map((p) => ({ name: p.name, process: p })));
    await stop();
    throw died ?? err;
  }
}

/** A node that is gone while the cluster is made: the error that names it (a command to it failed, or the
 *  formation waited for it in vain), null when every node runs. */
function diedDuringCreation(nodes: readonly Pick<ClusterNode, 'name' | 'process'>[]): ReplSpyError | null {
  const dead = nodes.filter((n) => n.process.exited);
  if (dead.length === 0) return null;
  return new ReplSpyError('RSPY_LAB_START', `${dead.map((n) => `${n.name} (pid ${n.process.pid})`).join(', ')} died while the cluster was being created`, {
    hint: `its redis.log says why (${dead[0]!.process.logFile}, removed with the lab: run again to read it); every server the lab started is stopped`,
  });
}

/** Makes the cluster within `timeoutMs`, whatever hangs (a stopped node answers no command): the steps race the
 *  deadline, and stop at their next poll once it passed. */
async function formCluster(nodes: ClusterNode[], shards: ClusterShard[], timeoutMs: number): Promise<void> {
  const progress: Formation = { waitingFor: 'the masters to take their slots', over: false };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReplSpyError('RSPY_LAB_START', `the cluster did not form within ${(timeoutMs / 1000).toFixed(timeoutMs % 1000 ? 1 : 0)} s: waited for ${progress.waitingFor}`, {
      hint: 'a node may be stopped, overloaded or unable to reach the others\' bus ports: see the nodes\' redis.log; every server the lab started is stopped',
    })), timeoutMs);
  });
  try {
    await Promise.race([formSteps(nodes, shards, progress), late]);
  } finally {
    progress.over = true;
    clearTimeout(timer);
  }
}

interface Formation {
  /** what the steps wait for now, for the deadline's message */
  waitingFor: string;
  /** the deadline passed or a step failed: the polls stop */
  over: boolean;
}

async function formSteps(nodes: ClusterNode[], shards: ClusterShard[], progress: Formation): Promise<void> {
  const gone = (): Error | null => diedDuringCreation(nodes);
  const [first, ...others] = nodes as [ClusterNode, ...ClusterNode[]];
  for (const s of shards) await s.master.process.client.send(['CLUSTER', 'ADDSLOTSRANGE', s.slots[0], s.slots[1]]);
  progress.waitingFor = 'the first node to meet the others';
  // MEET names the real ports: the bus never goes through a proxy
  for (const n of others) await first.process.client.send(['CLUSTER', 'MEET', '127.0.0.1', n.process.port, n.busPort]);
  progress.waitingFor = 'every node to know every other';
  await waitUntil(progress, gone, async () => {
    const counts = await Promise.all(nodes.map((n) => n.process.client.send(['CLUSTER', 'NODES']).then((t) => String(t).trim().split('\n').length)));
    return counts.every((c) => c === nodes.length);
  });
  progress.waitingFor = 'the replicas to take their masters (CLUSTER REPLICATE)';
  for (const s of shards) for (const r of s.replicas) await r.process.client.send(['CLUSTER', 'REPLICATE', s.master.id]);
  progress.waitingFor = 'cluster_state:ok on every node, every replica in sync and known as such by every node';
  // every node must know every replica as its master's (a CLUSTER FAILOVER's handshake needs its master to)
  const replicaOf = shards.flatMap((s) => s.replicas.map((r) => ({ id: r.id, master: s.master.id })));
  await waitUntil(progress, gone, async () => {
    const views = await Promise.all(nodes.map(async (n) => ({
      info: String(await n.process.client.send(['CLUSTER', 'INFO'])) + String(await n.process.client.send(['INFO', 'replication'])),
      nodes: String(await n.process.client.send(['CLUSTER', 'NODES'])).split('\n').map((line) => line.split(' ')),
    })));
    return views.every(({ info, nodes: known }) => /cluster_state:ok/.test(info) && (!/role:slave/.test(info) || /master_link_status:up/.test(info)) &&
      replicaOf.every((r) => known.some((f) => f[0] === r.id && /slave/.test(f[2] ?? '') && f[3] === r.master)));
  });
}

/** Polls `check` until it holds; fails at once when `gone` names a reason (a dead node); stops when the formation
 *  is over (its deadline passed). A check that hangs (a stopped node) counts as not yet. */
async function waitUntil(progress: Formation, gone: () => Error | null, check: () => Promise<boolean>): Promise<void> {
  while (!progress.over) {
    const reason = gone();
    if (reason) throw reason;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
    const done = await Promise.race([check().catch(() => false), gaveUp]).finally(() => clearTimeout(timer));
    if (done) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SETs of `cluster:key:N`, each sent to the master that owns its slot (through the lab's direct client). It
 *  follows the cluster as a cluster client does: after a refused or failed write (MOVED, a killed master) it
 *  reads the slot map again (CLUSTER SLOTS of a running node: masters named by their proxy ports). */
function startClusterWriteLoad(shards: ClusterShard[], nodes: ClusterNode[], opsPerSec: number, logger: ProxyLogger): NodeJS.Timeout {
  const owner: ClusterNode[] = [];
  for (const s of shards) for (let slot = s.slots[0]; slot <= s.slots[1]; slot++) owner[slot] = s.master;
  let refreshing = false;
  const refresh = (): void => {
    const asked = nodes.find((x) => !x.process.exited);
    if (refreshing || !asked) return;
    refreshing = true;
    asked.process.client.send(['CLUSTER', 'SLOTS'])
      .then((ranges) => {
        for (const [first, last, master] of ranges as [number, number, [string, number]][]) {
          const node = nodes.find((x) => x.front.address().port === Number(master[1]));
          if (node) for (let slot = first; slot <= last; slot++) owner[slot] = node;
        }
      })
      .catch(() => {}) // the next failed write asks again
      .finally(() => (refreshing = false));
  };
  let n = 0;
  let failed = false;
  return setInterval(() => {
    const key = `cluster:key:${n % 1000}`;
    owner[keySlot(Buffer.from(key))]!.process.client.send(['SET', key, n++]).catch((err: Error) => {
      refresh();
      if (/^MOVED /.test(err.message)) return;
      if (!failed) logger.warn({ err }, 'cluster write load failed'); // once: a failover fails many writes
      failed = true;
    });
  }, 1000 / opsPerSec);
}
