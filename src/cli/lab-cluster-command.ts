// `repl-spy lab --cluster N`: the cluster lab (src/lab/cluster.ts) with the live output of every lab; every
// node's proxy is in one event stream, replicas' links and cluster clients' links alike. Faults from --fault, the
// control interface and the TUI: the link faults of every lab, and the cluster's own (src/lab/cluster-faults.ts),
// each shard's failover told as a story like Sentinel's.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { wireNow } from '../core/clock.js';
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import { clusterNodeNames, startClusterLab, type ClusterLab, type ClusterNode } from '../lab/cluster.js';
import { resolveClusterSpec } from '../lab/cluster-fault-spec.js';
import { ClusterFaults } from '../lab/cluster-faults.js';
import { startControlServer, type ControlServer } from '../lab/control-server.js';
import { FailoverStory } from '../lab/failover-story.js';
import { FaultControl } from '../lab/fault-control.js';
import { parseFaultSpec, type FaultSpec } from '../lab/fault-spec.js';
import { watchClusterTopology, type TopologyWatch } from '../lab/cluster-topology-watch.js';
import { findRedisServer } from '../lab/redis-binary.js';
import { LinkRegistry } from '../proxy/index.js';
import { pollServerInfo, type InfoPoller } from './info-poller.js';
import { clusterServerFaults, tuiFaults } from './lab-tui-faults.js';
import { attachOutput, type AttachedOutput } from './output-mode.js';
import { startLive, type LiveFlags } from './run-live.js';

/** The lab flags a cluster lab reads. */
export interface ClusterFlags extends LiveFlags {
  password?: string;
  redisServer?: string;
  fault: string[];
}

export interface ClusterCounts {
  masters: number;
  replicasPerMaster: number;
  rate: number;
  durationS: number | null;
  controlPort: number;
  failoverDeadlineMs: number;
}

/** Flags that a cluster lab does not take (given on the command line: a usage error before any server starts). */
export function checkClusterFlags(given: (flag: string) => boolean): void {
  const clash = (['replicas', 'sentinels', 'tls', 'diskless', 'masteruser'] as const).filter(given);
  if (clash.length) {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--cluster does not go with ${clash.map((f) => `--${f}`).join(', ')}`, {
      hint: '--cluster-replicas sets the replicas of each master; the cluster lab has no Sentinels or TLS yet',
    });
  }
}

/** --fault specs of a cluster lab, checked before any server starts. */
export function clusterFaultFlags(texts: readonly string[], counts: Pick<ClusterCounts, 'masters' | 'replicasPerMaster'>): FaultSpec[] {
  const names = clusterNodeNames(counts.masters, counts.replicasPerMaster);
  return texts.map((t) => resolveClusterSpec(parseFaultSpec(t), names, counts.masters));
}

export async function runClusterLab(flags: ClusterFlags, counts: ClusterCounts): Promise<void> {
  const faultFlags = clusterFaultFlags(flags.fault, counts);
  const bin = findRedisServer(flags.redisServer);
  const password = flags.password ?? randomBytes(8).toString('hex');
  const live = await startLive(flags, { upstream: 'lab' });
  const { mode, logger, pipeline } = live;
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  const tell = (line: string): void => (mode === 'tui' ? logger.info(line) : say(`repl-spy lab: ${line}`)); // the TUI has the screen
  const registry = new LinkRegistry();
  let control: FaultControl | null = null;
  live.afterDecoding((e) => control?.onWire(e));
  let lab: ClusterLab | null = null;
  let output: AttachedOutput | null = null;
  let poller: InfoPoller | null = null;
  let controlServer: ControlServer | null = null;
  let topology: TopologyWatch | null = null;
  let stopping: Promise<void> | null = null;
  const shutdown = (code: number): Promise<void> => {
    stopping ??= (async () => {
      topology?.stop();
      control?.stop();
      poller?.stop();
      await controlServer?.close();
      await lab?.stop();
      await live.end(output);
      if (lab) say(`repl-spy lab: servers stopped, ${lab.dir} removed`);
      process.exit(code);
    })();
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  process.on('exit', () => lab?.killNow());

  say(`repl-spy lab: starting a cluster of ${counts.masters} masters with ${counts.replicasPerMaster} replica(s) each (${bin})`);
  try {
    lab = await startClusterLab({
      bin, masters: counts.masters, replicasPerMaster: counts.replicasPerMaster, password,
      onWire: live.onWire, logger, registry, opsPerSec: counts.rate,
    });
  } catch (err) {
    await live.end(null); // startClusterLab stopped every server it started
    throw err;
  }
  const running = lab;
  const passwordFile = path.join(running.dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  // each shard's failover story, from the events and the nodes' INFO (its promotions)
  const address = (n: ClusterNode): string => formatHostPort(n.process.host, n.process.port);
  const stories = running.shards.map((shard) => new FailoverStory(
    [shard.master, ...shard.replicas].map((n) => ({ name: n.name, address: address(n), front: formatHostPort(n.front.address().host, n.front.address().port) })),
    (e) => pipeline.note(e),
    counts.failoverDeadlineMs,
  ));
  pipeline.subscribe((e) => {
    for (const story of stories) story.observe(e);
    if (e.type === 'failover' && (e.step === 'timeout' || e.step === 'streaming' || e.step === 'promoted')) tell(e.detail);
  });
  pipeline.tapWire((e) => {
    if (e.kind === 'server-info') for (const story of stories) story.serverInfo(e.server, e.text, e.at);
    else if (e.kind === 'tick') for (const story of stories) story.tick(e.at);
  });
  const clusterFaults = new ClusterFaults(running, stories, password, wireNow, (m) => logger.warn(m), tell);
  const ports = running.nodes.map((n) => n.process.port);
  const faultControl = new FaultControl(registry, ports, (m) => logger.warn(m), (action, spec) => clusterFaults.apply(action, spec));
  control = faultControl;
  pipeline.subscribe((e) => faultControl.observe(e));
  const names = running.nodes.map((n) => n.name);
  const applyFault = (spec: FaultSpec): string => faultControl.apply(resolveClusterSpec(spec, names, running.shards.length));
  poller = pollServerInfo(running.nodes.map((n) => ({ server: address(n), read: async () => String(await n.process.client.send(['INFO', 'replication'])) })), live.onWire);
  pipeline.subscribe((e) => e.type === 'link-close' && poller?.readNow());
  const statusOf = (): unknown => clusterStatus(running, passwordFile, faultControl, clusterFaults, controlServer?.url);
  controlServer = await startControlServer({ status: statusOf, fault: applyFault }, counts.controlPort);
  say(`repl-spy lab: nodes started, logs in ${running.dir}`);
  for (const shard of running.shards) {
    for (const n of [shard.master, ...shard.replicas]) {
      say(`  ${n.name.padEnd(12)} ${formatHostPort(n.process.host, n.process.port)}  proxy ${formatHostPort(n.front.address().host, n.front.address().port)}  bus ${n.busPort}${n === shard.master ? `  slots ${shard.slots[0]}-${shard.slots[1]}` : ''}`);
    }
  }
  const first = running.shards[0]!.master.front.address();
  say(`  password   ${flags.showSecrets ? password : `in ${passwordFile}`}`);
  say(`  try        redis-cli -c -p ${first.port} --askpass   (cluster clients go through the proxies)`);
  say(`  control    ${controlServer.url}   e.g. curl -s -d '{"spec":"shard=1,cluster-failover"}' ${controlServer.url}/fault ; curl -s ${controlServer.url}/status`);
  output = await attachOutput(mode, pipeline.subscribe, {
    label: `lab cluster ×${counts.masters} masters  logs ${running.dir}  control ${controlServer.url}`,
    faults: tuiFaults(faultControl),
    serverFaults: clusterServerFaults(applyFault, running.shards.length, (addr) => {
      const node = running.nodes.findIndex((n) => address(n) === addr);
      return node < 0 ? null : running.shards.findIndex((s) => s.master === running.nodes[node] || s.replicas.includes(running.nodes[node]!)) + 1;
    }),
    onQuit: () => void shutdown(0),
    onLost: (why) => logger.warn(why),
    // #N on the screen is replica=N of --fault: the N-th node as printed
    replicaNumber: (port) => ports.indexOf(Number(port)) + 1 || null,
  });
  live.watchOutput(output);
  topology = watchClusterTopology(
    running.nodes.map((n) => ({ server: formatHostPort(n.process.host, n.process.port), ask: (command) => n.process.client.send(command) })),
    new Map(running.nodes.map((n) => [formatHostPort(n.front.address().host, n.front.address().port), { name: n.name, server: formatHostPort(n.process.host, n.process.port) }])),
    live.onWire,
    (m) => logger.warn(m),
  );
  const watch = topology;
  pipeline.subscribe((e) => e.type === 'link-close' && void watch.readNow()); // a failover shows as links closing
  try {
    await running.form();
  } catch (err) {
    say(`repl-spy lab: ${err instanceof Error ? err.message : String(err)}${err instanceof ReplSpyError && err.hint ? `\n${err.hint}` : ''}`);
    return void (await shutdown(1));
  }
  await watch.readNow();
  clusterFaults.ready();
  tell('cluster_state:ok on every node, every replica in sync');
  for (const spec of faultFlags) tell(`fault ${applyFault(spec)}`); // after= counts from here
  if (counts.durationS !== null) setTimeout(() => void shutdown(0), counts.durationS * 1000);
}

/** What GET /status tells of a cluster lab: never the password itself, but the 0600 file that holds it. */
function clusterStatus(lab: ClusterLab, passwordFile: string, faults: FaultControl, cluster: ClusterFaults, controlUrl: string | undefined): unknown {
  return {
    dir: lab.dir,
    passwordFile,
    tls: null,
    control: controlUrl,
    guardPid: lab.guard.pid,
    nodes: lab.nodes.map((n) => ({
      name: n.name,
      host: n.process.host,
      port: n.process.port,
      pid: n.process.pid,
      proxy: formatHostPort(n.front.address().host, n.front.address().port),
      bus: n.busPort,
      id: n.id,
      running: !n.process.exited,
      log: n.process.logFile,
    })),
    shards: cluster.status(),
    links: faults.links().map((l) => ({ ...l, server: l.server === undefined ? null : lab.nodes[l.server]?.name ?? null })),
    armedFaults: faults.armedFaults(),
  };
}
