// What a live command (the proxy, the lab) wires behind its proxies: the shared output/capture/log flags, the
// decoding pipeline, the capture writer, and the tap they drain (the proxies only append to it); the metrics
// endpoint and the report written at exit when asked for.
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { openCaptureWriter, type CaptureWriter } from '../capture/writer.js';
import { TICK_MS, type WireSink } from '../core/events.js';
import { ReplSpyError } from '../core/errors.js';
import { parseHostPort } from '../core/host-port.js';
import { parseDuration, parseSize } from '../core/units.js';
import { createPipeline, type Pipeline } from '../decode/pipeline.js';
import { makeRdbSink } from '../decode/rdb-sink.js';
import { wireNow } from '../core/clock.js';
import { createWireTap, type TapObserver, type WireTap } from '../proxy/tap.js';
import type { MetricsEndpoint } from '../metrics/serve-metrics.js';
import { recordReport, type ReportRecorder } from '../report/record-report.js';
import { createLogger } from './logger.js';
import { outputModeOf, type AttachedOutput, type OutputFlags, type OutputMode } from './output-mode.js';

export interface LiveFlags extends OutputFlags {
  capture: string | boolean;
  captureRdb: string;
  captureSecrets?: boolean;
  captureMaxUnwritten: string;
  showSecrets?: boolean;
  clients?: boolean;
  rdbAnalysis: boolean;
  rdbChecksum: boolean;
  logFile?: string;
  debug?: boolean;
  ackTimeout: string;
  metrics?: string;
  report?: string;
}

/** The flags every live command shares. */
export function addLiveOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print one JSON object per event on stdout')
    .option('--no-tui', 'print one line per event (the default when stdout is not a terminal)')
    .option('--capture <path>', 'capture file (default captures/<start-time>-<upstream>.rspy)')
    .option('--no-capture', 'do not write a capture file')
    .option('--capture-rdb <full|none>', 'keep RDB bodies in the capture, or only their size and hash', 'full')
    .option('--capture-secrets', 'write AUTH passwords into the capture (masked by default)')
    .option('--capture-max-unwritten <size>', 'capture bytes waiting for the disk at most (what a SIGKILL can lose; beyond it bytes become a recorded gap)', '8mb')
    .option('--show-secrets', 'show AUTH passwords in the output (masked by default)')
    .option('--clients', 'one client-command event per command of a client link (default: only client-open/close with totals)')
    .option('--no-rdb-analysis', 'only frame the RDB payload, do not decode its keys')
    .option('--no-rdb-checksum', "decode the RDB's keys but do not verify its CRC-64 (the replica verifies it too; most of the analysis CPU with large values)")
    .option('--log-file <path>', 'write logs there instead of stderr (with the TUI: repl-spy.log)')
    .option('--ack-timeout <duration>', 'an ack-silence for a replica with nothing to acknowledge after this long without an ACK (2s when it has)', '3s')
    .option('--metrics <[host:]port>', 'serve Prometheus metrics at http://host:port/metrics (host defaults to 127.0.0.1; port 0: any free port)')
    .option('--report <file>', 'write an HTML incident report of the run there when it ends')
    .option('--debug', 'debug logs and stack traces');
}

export interface Live {
  mode: OutputMode;
  logger: Logger;
  pipeline: Pipeline;
  capture: CaptureWriter | null;
  metrics: MetricsEndpoint | null;
  /** The output shown (for the metrics' count of the events it dropped). */
  watchOutput(output: AttachedOutput): void;
  /** Give this to the proxies (and every other source of wire events, so their order is kept): it queues each
   *  event for the capture and the decoders, which drain it after the sockets had their turn. */
  onWire: WireSink;
  tap: WireTap;
  /** `fn` sees each wire event right after the decoders did (the lab's faults that wait for a point of the
   *  replication). */
  afterDecoding(fn: WireSink): void;
  /** Once the proxies are closed: ends the decoded events and the capture at one end time (as replay will see
   *  it), then stops the output, writes the report and closes the capture and the metrics. */
  end(output: AttachedOutput | null): Promise<void>;
}

export interface LiveOptions {
  upstream: string;
  /** Decode each wire event as it is given, not behind a bounded tap: for a source with no forward path to
   *  protect (tail), whose position is what it decoded and that holds its master back rather than lose bytes. */
  inline?: boolean;
}

export async function startLive(flags: LiveFlags, opts: LiveOptions): Promise<Live> {
  if (flags.captureRdb !== 'full' && flags.captureRdb !== 'none') {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--capture-rdb must be full or none, not ${JSON.stringify(flags.captureRdb)}`);
  }
  const metricsAt = flags.metrics === undefined ? null : parseHostPort(flags.metrics, '127.0.0.1');
  const mode = outputModeOf(flags);
  const logger = createLogger({ file: flags.logFile ?? (mode === 'tui' ? 'repl-spy.log' : undefined), debug: flags.debug });
  const pipeline = createPipeline({
    showSecrets: flags.showSecrets,
    itemiseClients: flags.clients ?? false,
    rdbSink: flags.rdbAnalysis ? (ctx) => makeRdbSink(ctx, { verifyChecksum: flags.rdbChecksum }) : undefined,
    ackTimeoutMs: parseAckTimeout(flags.ackTimeout),
    onSubscriberError: (err) => logger.error({ err }, 'an output failed and was stopped; forwarding continues'),
  });
  let shown: AttachedOutput | null = null;
  // before the capture is opened: a port in use must not leave an empty capture behind; prom-client (and what it
  // loads) only when asked for: it is a sixth of an idle proxy's memory
  const metrics = metricsAt && (await (await import('../metrics/serve-metrics.js')).serveMetrics(metricsAt, pipeline, { now: wireNow, droppedEvents: () => shown?.droppedEvents() ?? 0 }));
  const report = flags.report === undefined ? null : recordReport(flags.report, pipeline, { title: `repl-spy report: ${opts.upstream}`, source: `live, master ${opts.upstream}, started ${new Date().toISOString()}` });
  const capture =
    flags.capture === false
      ? null
      : openCaptureWriter({
          path: typeof flags.capture === 'string' ? flags.capture : undefined,
          dir: 'captures',
          upstream: opts.upstream,
          captureRdb: flags.captureRdb as 'full' | 'none',
          captureSecrets: flags.captureSecrets ?? false,
          maxQueueBytes: parseSize(flags.captureMaxUnwritten, (why) => {
            throw new ReplSpyError('RSPY_BAD_ARGS', `--capture-max-unwritten: ${why}`);
          }),
          onGap: (loss) => {
            const { link, from, pos, bytes, at: sinceAt, untilAt, reason, state } = loss;
            logger.warn({ loss }, `capture loss ${state}: ${bytes} bytes of link ${link} from the ${from} not in the capture (${reason})`);
            pipeline.note({ type: 'capture-loss', at: wireNow(), link, state, from, pos, bytes, sinceAt, untilAt, reason });
          },
        });
  const afterDecoders: WireSink[] = [];
  // pino's rule: no decoding once no output, TUI, metrics or fault control listens any more (until the first one
  // subscribes, decoding runs, so that it starts from the link's first byte)
  let listened = false;
  const observers: TapObserver[] = capture ? [{ name: 'capture', wire: capture.wire }] : [];
  observers.push({
    name: 'decoders',
    wire: (e) => {
      pipeline.wire(e);
      for (const fn of afterDecoders) fn(e);
    },
    wanted: () => {
      if (pipeline.hasSubscribers) return (listened = true);
      return !listened;
    },
  });
  const tap = createWireTap({
    observers,
    onObserverError: (name, err) => logger.error({ err }, `the ${name} failed and was stopped; forwarding continues`),
  });
  const onWire: WireSink = opts.inline
    ? (e) => {
        tap.append(e);
        tap.flush();
      }
    : tap.append;
  // The decoders' clock: lag that grows between ACKs, a replica that stops acknowledging.
  const ticker = setInterval(() => onWire({ kind: 'tick', at: wireNow() }), TICK_MS);
  const end = async (output: AttachedOutput | null): Promise<void> => {
    clearInterval(ticker);
    tap.flush();
    const endAt = wireNow();
    pipeline.end(endAt);
    await output?.stop();
    if (report) finishReport(report, endAt);
    await capture?.close(endAt);
    await metrics?.close();
  };
  const watchOutput = (output: AttachedOutput): void => void (shown = output);
  return { mode, logger, pipeline, capture, metrics, watchOutput, onWire, tap, afterDecoding: (fn) => afterDecoders.push(fn), end };
}

/** Writes `--report` once the events are over (after the TUI gave the terminal back). A report that cannot be
 *  written costs the report only: the shutdown goes on. */
export function finishReport(report: ReportRecorder, endAt: number): boolean {
  try {
    const bytes = report.write(endAt);
    process.stderr.write(`repl-spy: report ${report.file} (${bytes} bytes)\n`);
    return true;
  } catch (err) {
    process.stderr.write(`repl-spy: cannot write the report ${report.file}: ${(err as Error).message}\n`);
    return false;
  }
}

/** `--ack-timeout` (live and replay: replay decodes again). */
export function parseAckTimeout(text: string): number {
  return parseDuration(text, (why) => {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--ack-timeout: ${why}`);
  });
}
