// `repl-spy --listen [host:]port --upstream host:port`: the proxy with live decoding, capture and output.
import type { Command } from 'commander';
import { ReplSpyError } from '../core/errors.js';
import { faultText } from '../core/fault-action.js';
import { formatHostPort, type Upstream } from '../core/host-port.js';
import { parseDuration } from '../core/units.js';
import { tlsFromFlags, type TlsFlags } from '../net/tls-options.js';
import { LinkRegistry, startProxy, type Proxy } from '../proxy/index.js';
import type { TuiFaults } from '../tui/index.js';
import { attachOutput } from './output-mode.js';
import { failAndExit } from './fail.js';
import { pairListeners } from './listeners.js';
import { repeatable } from './subcommand-flags.js';
import { connectionSource, pollServerInfo, type SideAuth } from './info-poller.js';
import { addLiveOptions, startLive, type LiveFlags } from './run-live.js';
import { addListenTlsOptions, addTlsSettingsOptions, addUpstreamTlsOptions, tlsLabel, tlsStartLines } from './tls-flags.js';

export interface ProxyFlags extends LiveFlags, TlsFlags {
  listen: string[];
  upstream: string[];
  halfCloseTimeout: string;
  faults?: boolean;
  masterInfo?: boolean;
  masterUser?: string;
  masterPassword?: string;
  user?: string;
  pass?: string;
}

export function registerProxyCommand(program: Command): void {
  addLiveOptions(
    addTlsSettingsOptions(
      addUpstreamTlsOptions(
        addListenTlsOptions(
          program
            .option('--listen <[host:]port>', 'where replicas connect (host defaults to 127.0.0.1); one per --upstream, in the same order', repeatable, [])
            .option('--upstream <host:port|redis://...>', 'the master: host:port, or redis://[user:password@]host:port; repeatable, each with its own --listen (or host:port=listenport)', repeatable, [])
            .option('--master-info', "read the master's INFO replication on a connection of our own, for the full resync reasons")
            .option('--master-user <user>', 'ACL user of that connection (also --user)')
            .option('--master-password <password>', 'password of that connection (also -a/--pass, or REDISCLI_AUTH)')
            .option('--user <user>', 'same as --master-user')
            .option('-a, --pass <password>', 'same as --master-password')
            .option('--half-close-timeout <duration>', 'after a replica closed its side, close the master leg once the master is silent this long (0s: never)', '10s')
            .option('--faults', "the TUI's fault keys act on the links (cut, freeze, delay, bandwidth): for test set-ups, never in production"),
        ),
      ),
    ),
  )
    .action(async (flags: ProxyFlags) => {
      await runProxy(flags).catch((err) => failAndExit(err, flags.debug));
    });
}

async function runProxy(flags: ProxyFlags): Promise<void> {
  const listeners = pairListeners(flags.upstream, flags.listen);
  const halfCloseTimeoutMs = parseDuration(flags.halfCloseTimeout, (why) => {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--half-close-timeout: ${why}`);
  });
  const masters = listeners.map((l) => l.master).join(',');
  const { listen: listenTls, upstream: upstreamTls } = tlsFromFlags(flags);
  const proxies: Proxy[] = [];
  const { mode, logger, pipeline, capture, metrics, watchOutput, onWire, end } = await startLive(flags, { upstream: masters });
  // one link id space over every listener: the ids of the event stream, of the TUI and of its fault keys
  const registry = new LinkRegistry();
  try {
    for (const [i, l] of listeners.entries()) {
      const proxy = await startProxy({ listen: l.listen, upstream: l.upstream, onWire: registry.sinkFor(i, onWire), logger, listenTls, upstreamTls, halfCloseTimeoutMs });
      proxies.push(proxy);
      registry.setProxy(i, proxy);
    }
  } catch (err) {
    await Promise.all(proxies.map((p) => p.close()));
    await end(null);
    throw err;
  }
  const fronts = listeners.map((l, i) => {
    const addr = proxies[i]!.address();
    return { ...l, where: formatHostPort(addr.host, addr.port) };
  });
  for (const f of fronts) logger.info({ listen: f.where, upstream: f.master, capture: capture?.path ?? null, metrics: metrics?.url ?? null }, 'repl-spy listening');
  const legs = tlsStartLines(listenTls, upstreamTls);
  if (legs.info.length > 0) logger.info({ legs: legs.info }, 'TLS');
  for (const line of legs.warnings) logger.warn(line);
  // Loudly: on stderr whatever the output mode (before the TUI takes the screen, and in its log file).
  for (const line of legs.warnings) process.stderr.write(`repl-spy: ${line}\n`);

  const say = (line: string): void => {
    if (mode === 'tui') logger.warn(line);
    else process.stderr.write(`repl-spy: ${line}\n`);
  };
  const sides = flags.masterInfo
    ? fronts.map((f) =>
        connectionSource(f.upstream, { ...sideAuth(flags, f.upstream), tls: upstreamTls }, {
          onProblem: (message) => say(`--master-info: ${f.master}: ${message}; resync reasons come from the wire alone until it works`),
          onRecovered: () => say(`--master-info: reading INFO replication of ${f.master} again`),
        }),
      )
    : [];
  const poller = sides.length > 0 ? pollServerInfo(sides, onWire) : null;
  if (poller) pipeline.subscribe((e) => e.type === 'link-close' && poller.readNow());

  const routes = fronts.map((f) => `${f.where} → ${f.master}`).join(', ');
  const output = await attachOutput(mode, pipeline.subscribe, {
    label: `live ${routes}${tlsLabel(listenTls, upstreamTls)}${capture ? `  capture ${capture.path}` : ''}`,
    faults: flags.faults ? proxyFaults(registry) : undefined,
    onQuit: () => void shutdown(0),
    onLost: (why) => logger.warn(`${why}; forwarding and capture continue`),
  });
  watchOutput(output);
  if (mode !== 'tui') {
    const where = fronts.length === 1 ? `${fronts[0]!.where}, master ${fronts[0]!.master}` : routes;
    process.stderr.write(`repl-spy: listening on ${where}${capture ? `, capture ${capture.path}` : ''}${metrics ? `, metrics ${metrics.url}` : ''}\n`);
    for (const line of legs.info) process.stderr.write(`repl-spy: ${line}\n`);
  }

  let stopping = false;
  const shutdown = async (code: number, farewell?: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    poller?.stop();
    for (const side of sides) side.close();
    await Promise.all(proxies.map((p) => p.close()));
    await end(output);
    if (farewell) process.stderr.write(`repl-spy: ${farewell}\n`); // after the TUI gave the terminal back
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const probes = await Promise.all(proxies.map((p) => p.probeMaster()));
  for (const [i, probe] of probes.entries()) {
    const { master, where } = fronts[i]!;
    if (probe.kind === 'loop') {
      return shutdown(2, `--upstream ${master} leads back to this proxy (listening on ${where}): every connection would be forwarded to itself; point --upstream at the master`);
    }
    if (probe.kind === 'unreachable') say(`master ${master} does not answer (${probe.code}): replicas that connect are closed until it does; still listening on ${where}`);
  }
}

/** Credentials of the side connection: the flags, else the URL's, else REDISCLI_AUTH (as redis-cli). Never the
 *  replica's AUTH on the wire. */
function sideAuth(flags: ProxyFlags, upstream: Upstream): SideAuth {
  return {
    user: flags.masterUser ?? flags.user ?? upstream.user,
    password: flags.masterPassword ?? flags.pass ?? upstream.password ?? (process.env.REDISCLI_AUTH || undefined),
  };
}

/** The TUI's fault keys on the proxies' links (the registry's ids are the ids of the event stream). */
function proxyFaults(registry: LinkRegistry): TuiFaults {
  return (id, fault) => {
    const link = registry.link(id);
    if (!link) throw new Error(`link #${id} is closed`);
    link.apply(fault, 'from the TUI');
    return `link #${id}: ${faultText(fault)}`;
  };
}
