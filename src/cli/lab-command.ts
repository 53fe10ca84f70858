// `repl-spy lab`: a real master and N replicas replicating through repl-spy, a light write load, fault injection
// (flags, control interface) and resync reasons, shown in the TUI or as lines/JSON. Everything stops with it.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort } from '../core/host-port.js';
import type { LinkLag } from '../decode/pipeline.js';
import { startControlServer, type ControlServer } from '../lab/control-server.js';
import { FaultControl } from '../lab/fault-control.js';
import { checkLabKind, checkReplicaTarget, parseFaultSpec, type FaultSpec } from '../lab/fault-spec.js';
import { startLab, type Lab } from '../lab/lab.js';
import { LinkRegistry } from '../proxy/link-registry.js';
import { findRedisSentinel, findRedisServer, redisVersion } from '../lab/redis-binary.js';
import { LabFailover } from '../lab/failover.js';
import { FailoverStory } from '../lab/failover-story.js';
import { wireNow } from '../core/clock.js';
import { sentinelServerFaults, tuiFaults } from './lab-tui-faults.js';
import { describeFailure, failAndExit } from './fail.js';
import { checkClusterFlags, runClusterLab } from './lab-cluster-command.js';
import { parseDuration } from '../core/units.js';
import { pollServerInfo, type InfoPoller } from './info-poller.js';
import { repeatable, subcommandFlags } from './subcommand-flags.js';
import { attachOutput, type AttachedOutput } from './output-mode.js';
import { addLiveOptions, startLive, type LiveFlags } from './run-live.js';

export interface LabFlags extends LiveFlags {
  replicas: string;
  diskless?: boolean;
  password?: string;
  keys: string;
  redisServer?: string;
  rate: string;
  fault: string[];
  duration?: string;
  controlPort: string;
  tls?: boolean;
  masteruser?: string;
  sentinels: string;
  redisSentinel?: string;
  failoverDeadline: string;
  cluster?: string;
  clusterReplicas: string;
}

const IN_SYNC_TIMEOUT_MS = 60_000;
/** On a crash, how long the orderly shutdown may take before we leave the rest to the guard. */
const CRASH_SHUTDOWN_MS = 8_000;

export function registerLabCommand(program: Command): void {
  addLiveOptions(
    program
      .command('lab')
      .description('start a real master and replicas replicating through repl-spy, with faults on demand')
      .option('--replicas <n>', 'number of replicas', '3')
      .option('--diskless', 'diskless sync (the replicas wait up to 5 s for each other, then share one fork)')
      .option('--password <pw>', 'requirepass/masterauth of every server (default: random, printed)')
      .option('--masteruser <name>', 'replicas authenticate as this ACL user (password: --password), allowed only to replicate')
      .option('--tls', 'every server TLS-only (tls-port, tls-replication yes), with a throwaway CA and certificates made with openssl')
      .option('--keys <n>', 'keys of mixed types loaded into the master before the replicas attach', '10000')
      .option('--redis-server <path>', 'the redis-server binary (default: REDIS_SERVER_BIN, then PATH)')
      .option('--sentinels <n>', 'run N redis-sentinel processes monitoring the master through its proxy (0: none); enables failover=kill|sentinel|stop', '0')
      .option('--redis-sentinel <path>', 'the redis-sentinel binary (default: REDIS_SENTINEL_BIN, then PATH)')
      .option('--failover-deadline <duration>', 'a failover not done this long after the master died is told stuck', '60s')
      .option('--rate <ops/s>', 'light write load on the master, operations per second (0: none)', '20')
      .option('--fault <spec>', 'a fault, e.g. "replica=2,cut-at-rdb=50%" or "replica=1,after=10s,cut"; with --cluster also "shard=1,kill-master", "shard=2,cluster-failover", "shard=1,reshard=2" (repeatable)', repeatable, [])
      .option('--duration <s>', 'stop by itself after this many seconds')
      .option('--control-port <port>', 'port of the control interface on 127.0.0.1 (0: any free port)', '0')
      .option('--cluster <masters>', 'a Redis Cluster of this many masters over the 16384 slots, every node behind its own proxy')
      .option('--cluster-replicas <n>', 'with --cluster: replicas of each master', '1'),
  ).action(async (_local: unknown, cmd: Command) => {
    const flags = subcommandFlags<LabFlags>(cmd);
    const run = flags.cluster === undefined ? runLab(flags) : runCluster(flags, (f) => cmd.getOptionValueSource(f) === 'cli');
    await run.catch((err) => failAndExit(err, flags.debug));
  });
}

/** --duration in seconds (null: run until stopped). */
function durationFlag(value: string | undefined): number | null {
  const s = value === undefined ? null : Number(value);
  if (s !== null && !(s > 0)) throw new ReplSpyError('RSPY_BAD_ARGS', `--duration must be a positive number of seconds`);
  return s;
}

function count(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ReplSpyError('RSPY_BAD_ARGS', `${flag} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return n;
}

async function runCluster(flags: LabFlags, given: (flag: string) => boolean): Promise<void> {
  checkClusterFlags(given);
  const durationS = durationFlag(flags.duration);
  return runClusterLab(flags, {
    masters: count('--cluster', flags.cluster!, 3, 16),
    replicasPerMaster: count('--cluster-replicas', flags.clusterReplicas, 0, 4),
    rate: count('--rate', flags.rate, 0, 100_000),
    durationS,
    controlPort: count('--control-port', flags.controlPort, 0, 65535),
    failoverDeadlineMs: failoverDeadline(flags),
  });
}

function failoverDeadline(flags: LabFlags): number {
  return parseDuration(flags.failoverDeadline, (why) => {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--failover-deadline: ${why}`);
  });
}

async function runLab(flags: LabFlags): Promise<void> {
  const replicaCount = count('--replicas', flags.replicas, 1, 16);
  const keys = count('--keys', flags.keys, 0, 10_000_000);
  const rate = count('--rate', flags.rate, 0, 100_000);
  const controlPort = count('--control-port', flags.controlPort, 0, 65535);
  const durationS = durationFlag(flags.duration);
  const faults: FaultSpec[] = flags.fault.map(parseFaultSpec);
  for (const spec of faults) {
    checkLabKind(spec, false);
    checkReplicaTarget(spec, replicaCount); // before any server starts
  }
  const sentinelCount = count('--sentinels', flags.sentinels, 0, 9);
  const bin = findRedisServer(flags.redisServer);
  const sentinelBin = sentinelCount > 0 ? findRedisSentinel(flags.redisSentinel) : null;
  const failoverDeadlineMs = failoverDeadline(flags);
  const password = flags.password ?? randomBytes(8).toString('hex');

  let lab: Lab | null = null;
  const live = await startLive(flags, { upstream: 'lab' });
  const { mode, logger, pipeline, capture } = live;
  const say = (line: string): void => void process.stderr.write(`${line}\n`);
  const registry = new LinkRegistry();
  let control: FaultControl | null = null;
  live.afterDecoding((e) => control?.onWire(e));

  let output: AttachedOutput | null = null;
  let controlServer: ControlServer | null = null;
  let poller: InfoPoller | null = null;
  let failover: LabFailover | null = null;
  let stopping: Promise<void> | null = null;
  const shutdown = (code: number): Promise<void> => {
    stopping ??= (async () => {
      failover?.stop();
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
  process.on('exit', () => lab?.killNow()); // a crash that skipped the shutdown: the guard removes the rest
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'repl-spy crashed; stopping the lab');
    say(`repl-spy lab: crashed (${err.message}); stopping the servers`);
    setTimeout(() => process.exit(70), CRASH_SHUTDOWN_MS).unref();
    void shutdown(70);
  });

  const version = redisVersion(bin);
  const over = [flags.tls ? 'TLS on every link' : '', flags.masteruser ? `ACL user ${flags.masteruser}` : ''].filter(Boolean).join(', ');
  say(`repl-spy lab: starting redis-server ${version ?? '(unknown version)'} (${bin}): a master and ${replicaCount} replica(s), ${flags.diskless ? 'diskless' : 'disk-based'} sync${over ? `, ${over}` : ''}`);
  lab = await startLab({
    bin, replicas: replicaCount, diskless: flags.diskless ?? false, password, keys, opsPerSec: rate, onWire: live.onWire, logger, registry,
    tls: flags.tls ?? false, masteruser: flags.masteruser, announceFronts: sentinelCount > 0,
  });
  const running = lab;
  const ports = running.replicas.map((r) => r.announcedPort);
  const story = new FailoverStory(
    [running.master, ...running.replicas].map((s) => ({ name: s.name, address: formatHostPort(s.process.host, s.process.port), front: formatHostPort(s.front.address().host, s.front.address().port) })),
    // through the wire sink, so the capture records the story and replay tells it
    (e) => live.onWire({ kind: 'side-event', at: e.at, event: e }),
    failoverDeadlineMs,
  );
  if (sentinelCount > 0) {
    failover = new LabFailover(running, story, wireNow, (m) => logger.warn(m), (text) => mode !== 'tui' && say(`repl-spy lab: ${text}`));
    pipeline.subscribe((e) => {
      story.observe(e);
      if (e.type === 'failover' && e.channel === '+switch-master') failover?.switched();
      if (e.type === 'failover' && (e.step === 'timeout' || e.step === 'streaming') && mode !== 'tui') say(`repl-spy lab: ${e.detail}`);
    });
    pipeline.tapWire((e) => {
      if (e.kind === 'server-info') story.serverInfo(e.server, e.text, e.at);
      else if (e.kind === 'tick') story.tick(e.at);
    });
  }
  const serverFaults = failover;
  control = new FaultControl(registry, ports, (m) => logger.warn(m), serverFaults && ((action) => serverFaults.apply(action)));
  pipeline.subscribe((e) => control?.observe(e));
  const servers = [running.master, ...running.replicas].map(({ process: p }) => ({
    server: formatHostPort(p.host, p.port),
    read: async () => String(await p.client.send(['INFO', 'replication'])),
  }));
  poller = pollServerInfo(servers, live.onWire);
  pipeline.subscribe((e) => e.type === 'link-close' && poller?.readNow());
  const faultControl = control;
  const applyFault = (spec: FaultSpec): string => {
    checkLabKind(spec, false);
    return faultControl.apply(spec);
  };
  // the password for redis-cli, owner-only, in the lab directory (removed with it)
  const passwordFile = path.join(running.dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  controlServer = await startControlServer({ status: () => labStatus(running, passwordFile, faultControl, controlServer?.url, pipeline.currentLag(wireNow()), failover), fault: applyFault }, controlPort);

  printSummary(running, flags.showSecrets ? password : null, passwordFile, controlServer.url, capture?.path ?? null, keys, rate, say);
  if (live.metrics) say(`  metrics    ${live.metrics.url}`);
  for (const spec of faults) say(`repl-spy lab: fault ${faultControl.apply(spec)}`);

  output = await attachOutput(mode, pipeline.subscribe, {
    label: `lab master :${running.master.process.port} ×${replicaCount}${running.certs ? ' [tls]' : ''}  logs ${running.dir}  control ${controlServer.url}`,
    faults: tuiFaults(faultControl),
    serverFaults: sentinelCount > 0 ? sentinelServerFaults(applyFault) : undefined,
    onQuit: () => void shutdown(0),
    onLost: (why) => logger.warn(why),
    // #N on the screen is replica=N of --fault and of the control interface
    replicaNumber: (port) => ports.indexOf(Number(port)) + 1 || null,
  });
  live.watchOutput(output);
  await poller.firstRound;
  await running.replicate();
  if (sentinelBin && failover) {
    const watching = failover;
    const tell = (line: string): void => (mode === 'tui' ? logger.info(line) : say(line)); // the TUI has the screen now
    tell(`repl-spy lab: starting ${sentinelCount} redis-sentinel (${sentinelBin}) monitoring the master at its proxy ${formatHostPort(running.master.front.address().host, running.master.front.address().port)}`);
    try {
      await running.startSentinels(sentinelBin, sentinelCount, (m) => story.sentinel(m.sentinel, m.channel, m.message, m.at), wireNow);
    } catch (err) {
      // the servers are running: stop them all, as on any other end
      const { message } = describeFailure(err);
      say(`repl-spy lab: ${message}${err instanceof ReplSpyError && err.hint ? `\n${err.hint}` : ''}`);
      return void (await shutdown(1));
    }
    for (const s of running.sentinels) tell(`  ${s.name.padEnd(10)} 127.0.0.1:${s.port}  log ${s.logFile}`);
    watching.watch();
  }
  if (durationS !== null) setTimeout(() => void shutdown(0), durationS * 1000);
  running.inSync(IN_SYNC_TIMEOUT_MS).then(
    () => mode !== 'tui' && say(`repl-spy lab: all ${replicaCount} replicas in sync`),
    (err: Error) => logger.warn(`replicas not in sync: ${err.message}`),
  );
}

/** `lag`: the pipeline's current lag per link (what ack and lag events say, read now). */
/** What GET /status tells: never the password itself, but the 0600 file that holds it. */
function labStatus(lab: Lab, passwordFile: string, faults: FaultControl, controlUrl: string | undefined, lag: LinkLag[], failover: LabFailover | null): unknown {
  const server = (s: Lab['master']) => ({
    name: s.name,
    host: s.process.host,
    port: s.process.port,
    pid: s.process.pid,
    proxy: formatHostPort(s.front.address().host, s.front.address().port),
    log: s.process.logFile,
  });
  const own = lab.certs?.certs['repl-spy'];
  return {
    dir: lab.dir,
    passwordFile,
    tls: lab.certs && own ? { ca: lab.certs.ca, cert: own.cert, key: own.key } : null,
    control: controlUrl,
    guardPid: lab.guard.pid,
    master: server(lab.master),
    replicas: lab.replicas.map(server),
    links: faults.links().map((l) => ({
      ...l,
      server: l.server === undefined ? null : l.server === 0 ? 'master' : `replica-${l.server}`,
      lag: lag.find((x) => x.link === l.link) ?? null,
    })),
    armedFaults: faults.armedFaults(),
    sentinels: failover?.status() ?? null,
  };
}

/** `password` null: masked (without --show-secrets), the file that holds it is named instead. */
function printSummary(lab: Lab, password: string | null, passwordFile: string, controlUrl: string, capturePath: string | null, keys: number, rate: number, say: (line: string) => void): void {
  const row = (s: Lab['master']): string => {
    const front = s.front.address();
    return `  ${s.name.padEnd(10)} 127.0.0.1:${s.process.port}  via proxy ${formatHostPort(front.host, front.port)}  log ${s.process.logFile}`;
  };
  say(`repl-spy lab: ${keys} keys loaded, write load ${rate} ops/s; servers (logs in ${lab.dir}):`);
  say(row(lab.master));
  for (const r of lab.replicas) say(row(r));
  const own = lab.certs?.certs['repl-spy'];
  const tlsArgs = lab.certs && own ? ` --tls --cacert ${lab.certs.ca} --cert ${own.cert} --key ${own.key}` : '';
  say(`  password   ${password ?? '*** (--show-secrets shows it)'}   in ${passwordFile} (mode 0600), e.g. REDISCLI_AUTH=$(cat ${passwordFile}) redis-cli${tlsArgs} -p ${lab.master.process.port} info replication`);
  if (lab.certs) say(`  tls        CA and certificates in ${lab.certs.dir} (repl-spy.crt is the proxies' and the example's)`);
  say(`  control    ${controlUrl}   e.g. curl -s -d '{"replica":1,"cut":true}' ${controlUrl}/fault ; curl -s ${controlUrl}/status`);
  if (capturePath) say(`  capture    ${capturePath}`);
}
