// `repl-spy --listen [host:]port --upstream host:port`: the proxy with live decoding, capture and output.
import type { Command } from 'commander';
import { createPipeline } from '../core/pipeline.js';
import { ReplSpyError } from '../core/errors.js';
import { parseHostPort, formatHostPort } from '../core/host-port.js';
import { startProxy } from '../proxy/index.js';
import { openCaptureWriter } from '../capture/writer.js';
import { createLogger } from './logger.js';
import { attachOutput, outputModeOf, type OutputFlags } from './output-mode.js';
import { failAndExit } from './fail.js';
import { makeRdbSink } from '../decode/rdb-sink.js';
import type { WireEvent } from '../core/events.js';

export interface ProxyFlags extends OutputFlags {
  listen?: string;
  upstream?: string;
  capture: string | boolean;
  captureRdb: string;
  captureSecrets?: boolean;
  showSecrets?: boolean;
  rdbAnalysis: boolean;
  logFile?: string;
  debug?: boolean;
}

export function registerProxyCommand(program: Command): void {
  program
    .option('--listen <[host:]port>', 'where replicas connect (host defaults to 127.0.0.1)')
    .option('--upstream <host:port>', 'the master')
    .option('--json', 'print one JSON object per event on stdout')
    .option('--no-tui', 'print one line per event (the default when stdout is not a terminal)')
    .option('--capture <path>', 'capture file (default captures/<start-time>-<upstream>.rspy)')
    .option('--no-capture', 'do not write a capture file')
    .option('--capture-rdb <full|none>', 'keep RDB bodies in the capture, or only their size and hash', 'full')
    .option('--capture-secrets', 'write AUTH passwords into the capture (masked by default)')
    .option('--show-secrets', 'show AUTH passwords in the output (masked by default)')
    .option('--no-rdb-analysis', 'only frame the RDB payload, do not decode its keys')
    .option('--log-file <path>', 'write logs there instead of stderr (with the TUI: repl-spy.log)')
    .option('--debug', 'debug logs and stack traces')
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
  if (flags.captureRdb !== 'full' && flags.captureRdb !== 'none') {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--capture-rdb must be full or none, not ${JSON.stringify(flags.captureRdb)}`);
  }
  const listen = parseHostPort(flags.listen, '127.0.0.1');
  const upstream = parseHostPort(flags.upstream);
  const mode = outputModeOf(flags);
  const logger = createLogger({ file: flags.logFile ?? (mode === 'tui' ? 'repl-spy.log' : undefined), debug: flags.debug });

  const pipeline = createPipeline({
    showSecrets: flags.showSecrets,
    rdbSink: flags.rdbAnalysis ? makeRdbSink : undefined,
    onSubscriberError: (err) => logger.error({ err }, 'an output failed and was stopped; forwarding continues'),
  });
  const capture =
    flags.capture === false
      ? null
      : openCaptureWriter({
          path: typeof flags.capture === 'string' ? flags.capture : undefined,
          dir: 'captures',
          upstream: formatHostPort(upstream.host, upstream.port),
          captureRdb: flags.captureRdb as 'full' | 'none',
          captureSecrets: flags.captureSecrets ?? false,
          onGap: (loss) => logger.warn({ loss }, `capture lost ${loss.bytes} bytes of link ${loss.link} (${loss.reason})`),
        });

  const onWire = (e: WireEvent): void => {
    capture?.wire(e);
    pipeline.wire(e);
  };
  const proxy = await startProxy({ listen, upstream, onWire, logger });
  const addr = proxy.address();
  const where = formatHostPort(addr.host, addr.port);
  logger.info({ listen: where, upstream: flags.upstream, capture: capture?.path ?? null }, 'repl-spy listening');

  const output = await attachOutput(mode, pipeline.subscribe, {
    label: `live ${where} → ${flags.upstream}${capture ? `  capture ${capture.path}` : ''}`,
    onQuit: () => void shutdown(0),
  });
  if (mode !== 'tui') {
    process.stderr.write(`repl-spy: listening on ${where}, master ${flags.upstream}${capture ? `, capture ${capture.path}` : ''}\n`);
  }

  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await proxy.close();
    pipeline.end(Date.now());
    await output.stop();
    await capture?.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
}
