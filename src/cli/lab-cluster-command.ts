// `repl-spy lab --cluster N`: the cluster lab (src/lab/cluster.ts) with the live output of every lab; every
// node's proxy is in one event stream, replicas' links and cluster clients' links alike.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import { startClusterLab, type ClusterLab } from '../lab/cluster.js';
import { watchClusterTopology, type TopologyWatch } from '../lab/cluster-topology-watch.js';
import { findRedisServer } from '../lab/redis-binary.js';
import { LinkRegistry } from '../proxy/index.js';
import { attachOutput, type AttachedOutput } from './output-mode.js';
import { startLive, type LiveFlags } from './run-live.js';

/** The lab flags a cluster lab reads. */
export interface ClusterFlags extends LiveFlags {
  password?: string;
  redisServer?: string;
}

export interface ClusterCounts {
  masters: number;
  replicasPerMaster: number;
  rate: number;
  durationS: number | null;
}

/** Flags that a cluster lab does not take (given on the command line: a usage error before any server starts). */
export function checkClusterFlags(given: (flag: string) => boolean): void {
  const clash = (['replicas', 'sentinels', 'tls', 'diskless', 'masteruser', 'fault'] as const).filter(given);
  if (clash.length) {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--cluster does not go with ${clash.map((f) => `--${f}`).join(', ')}`, {
      hint: '--cluster-replicas sets the replicas of each master; the cluster lab has no Sentinels, TLS or --fault yet',
    });
  }
}

export async function runClusterLab(flags: ClusterFlags, counts: ClusterCounts): Promise<void> {
  const bin = findRedisServer(flags.redisServer);
  const password = flags.password ?? randomBytes(8).toString('hex');
  const live = await startLive(flags, { upstream: 'lab' });
  const { mode, logger, pipeline } = live;
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  let lab: ClusterLab | null = null;
  let output: AttachedOutput | null = null;
  let topology: TopologyWatch | null = null;
  let stopping: Promise<void> | null = null;
  const shutdown = (code: number): Promise<void> => {
    stopping ??= (async () => {
      topology?.stop();
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
      onWire: live.onWire, logger, registry: new LinkRegistry(), opsPerSec: counts.rate,
    });
  } catch (err) {
    await live.end(null); // startClusterLab stopped every server it started
    throw err;
  }
  const running = lab;
  const passwordFile = path.join(running.dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  say(`repl-spy lab: nodes started, logs in ${running.dir}`);
  for (const shard of running.shards) {
    for (const n of [shard.master, ...shard.replicas]) {
      say(`  ${n.name.padEnd(12)} ${formatHostPort(n.process.host, n.process.port)}  proxy ${formatHostPort(n.front.address().host, n.front.address().port)}  bus ${n.busPort}${n === shard.master ? `  slots ${shard.slots[0]}-${shard.slots[1]}` : ''}`);
    }
  }
  const first = running.shards[0]!.master.front.address();
  say(`  password   ${flags.showSecrets ? password : `in ${passwordFile}`}`);
  say(`  try        redis-cli -c -p ${first.port} --askpass   (cluster clients go through the proxies)`);
  output = await attachOutput(mode, pipeline.subscribe, {
    label: `lab cluster ×${counts.masters} masters  logs ${running.dir}`,
    onQuit: () => void shutdown(0),
    onLost: (why) => logger.warn(why),
    replicaNumber: () => null,
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
  say('repl-spy lab: cluster_state:ok on every node, every replica in sync');
  if (counts.durationS !== null) setTimeout(() => void shutdown(0), counts.durationS * 1000);
}
