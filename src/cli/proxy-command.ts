// `repl-spy --listen [host:]port --upstream host:port`: the proxy with live decoding, capture and output.
import type { Command } from 'commander';
import { ReplSpyError } from '../core/errors.js';
import { faultText } from '../core/fault-action.js';
import { formatHostPort, parseHostPort, parseUpstream, type Upstream } from '../core/host-port.js';
import { parseDuration } from '../core/units.js';
import { tlsFromFlags, type TlsFlags } from '../net/tls-options.js';
import { startProxy, type Proxy } from '../proxy/index.js';
import type { TuiFaults } from '../tui/index.js';
import { attachOutput } from './output-mode.js';
import { failAndExit } from './fail.js';
import { connectionSource, pollServerInfo, type SideAuth } from './info-poller.js';
import { addLiveOptions, startLive, type LiveFlags } from './run-live.js';
import { addListenTlsOptions, addTlsSettingsOptions, addUpstreamTlsOptions, tlsLabel, tlsStartLines } from './tls-flags.js';

export interface ProxyFlags extends LiveFlags, TlsFlags {
  listen?: string;
  upstream?: string;
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
            .option('--listen <[host:]port>', 'where replicas connect (host defaults to 127.0.0.1)')
            .option('--upstream <host:port|redis://...>', 'the master: host:port, or redis://[user:password@]host:port')
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
  if (!flags.listen || !flags.upstream) {
    throw new ReplSpyError('RSPY_BAD_ARGS', 'both --listen and --upstream are required', {
      hint: 'e.g. repl-spy --listen 7000 --upstream 127.0.0.1:6379',
    });
  }
  const listen = parseHostPort(flags.listen, '127.0.0.1');
  const halfCloseTimeoutMs = parseDuration(flags.halfCloseTimeout, (why) => {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--half-close-timeout: ${why}`);
  });
  const upstream = parseUpstream(flags.upstream);
  const master = formatHostPort(upstream.host, upstream.port); // never the URL: it may hold a password
  const { listen: listenTls, upstream: upstreamTls } = tlsFromFlags(flags);
  const { mode, logger, pipeline, capture, metrics, watchOutput, onWire, end } = await startLive(flags, { upstream: master });
  const proxy = await startProxy({ listen, upstream, onWire, logger, listenTls, upstreamTls, halfCloseTimeoutMs });
  const addr = proxy.address();
  const where = formatHostPort(addr.host, addr.port);
  logger.info({ listen: where, upstream: master, capture: capture?.path ?? null, metrics: metrics?.url ?? null }, 'repl-spy listening');
  const legs = tlsStartLines(listenTls, upstreamTls);
  if (legs.info.length > 0) logger.info({ legs: legs.info }, 'TLS');
  for (const line of legs.warnings) logger.warn(line);
  // Loudly: on stderr whatever the output mode (before the TUI takes the screen, and in its log file).
  for (const line of legs.warnings) process.stderr.write(`repl-spy: ${line}\n`);

  const say = (line: string): void => {
    if (mode === 'tui') logger.warn(line);
    else process.stderr.write(`repl-spy: ${line}\n`);
  };
  const side = flags.masterInfo
    ? connectionSource(upstream, { ...sideAuth(flags, upstream), tls: upstreamTls }, {
        onProblem: (message) => say(`--master-info: ${master}: ${message}; resync reasons come from the wire alone until it works`),
        onRecovered: () => say(`--master-info: reading INFO replication of ${master} again`),
      })
    : null;
  const poller = side ? pollServerInfo([side], onWire) : null;
  if (poller) pipeline.subscribe((e) => e.type === 'link-close' && poller.readNow());

  const output = await attachOutput(mode, pipeline.subscribe, {
    label: `live ${where} → ${master}${tlsLabel(listenTls, upstreamTls)}${capture ? `  capture ${capture.path}` : ''}`,
    faults: flags.faults ? proxyFaults(proxy) : undefined,
    onQuit: () => void shutdown(0),
    onLost: (why) => logger.warn(`${why}; forwarding and capture continue`),
  });
  watchOutput(output);
  if (mode !== 'tui') {
    process.stderr.write(`repl-spy: listening on ${where}, master ${master}${capture ? `, capture ${capture.path}` : ''}${metrics ? `, metrics ${metrics.url}` : ''}\n`);
    for (const line of legs.info) process.stderr.write(`repl-spy: ${line}\n`);
  }

  let stopping = false;
  const shutdown = async (code: number, farewell?: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    poller?.stop();
    side?.close();
    await proxy.close();
    await end(output);
    if (farewell) process.stderr.write(`repl-spy: ${farewell}\n`); // after the TUI gave the terminal back
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const probe = await proxy.probeMaster();
  if (probe.kind === 'loop') {
    await shutdown(2, `--upstream ${master} leads back to this proxy (listening on ${where}): every connection would be forwarded to itself; point --upstream at the master`);
  } else if (probe.kind === 'unreachable') {
    say(`master ${master} does not answer (${probe.code}): replicas that connect are closed until it does; still listening on ${where}`);
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

/** The TUI's fault keys on this proxy's links (one proxy: its link ids are the ids of the event stream). */
function proxyFaults(proxy: Proxy): TuiFaults {
  return (id, fault) => {
    const link = proxy.links.get(id);
    if (!link) throw new Error(`link #${id} is closed`);
    link.apply(fault, 'from the TUI');
    return `link #${id}: ${faultText(fault)}`;
  };
}
