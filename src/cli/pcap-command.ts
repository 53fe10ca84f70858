// `repl-spy pcap FILE|-`: the replication links of a packet capture (tcpdump, tshark, dumpcap; pcap or pcapng)
// through the same decoder and outputs as live, with the packets' times; `-` reads a capture as it is written:
//   tcpdump -i any -U -s 0 -w - 'tcp port 6379' | repl-spy pcap -
// With --capture the links are also written as a repl-spy capture, which replay reads.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Command } from 'commander';
import { ticksUpTo } from '../capture/compat.js';
import { openCaptureWriter, type CaptureWriter } from '../capture/writer.js';
import { ReplSpyError } from '../core/errors.js';
import type { WireEvent } from '../core/events.js';
import { parseHostPort } from '../core/host-port.js';
import { createPipeline } from '../decode/pipeline.js';
import { makeRdbSink } from '../decode/rdb-sink.js';
import { recordReport } from '../report/record-report.js';
import { PcapError } from '../pcap/errors.js';
import { PcapSource, type PcapStats } from '../pcap/pcap-source.js';
import { failAndExit } from './fail.js';
import { attachOutput, outputModeOf, type OutputFlags } from './output-mode.js';
import { finishReport } from './run-live.js';
import { subcommandFlags } from './subcommand-flags.js';

export interface PcapFlags extends OutputFlags {
  port: string[];
  capture?: string;
  captureRdb: string;
  captureSecrets?: boolean;
  showSecrets?: boolean;
  rdbAnalysis: boolean;
  rdbChecksum: boolean;
  metrics?: string;
  report?: string;
  debug?: boolean;
}

const READ_BLOCK_BYTES = 1 << 20;
/** Past this much unwritten output, reading waits for stdout (a file can wait, unlike the live proxy). */
const OUTPUT_HIGH_WATER_BYTES = 4 * 1024 * 1024;
const LIVE_EXAMPLE = "tcpdump -i any -U -s 0 -w - 'tcp port 6379' | repl-spy pcap -";

export function registerPcapCommand(program: Command): void {
  program
    .command('pcap <file>')
    .description(`decode the replication links of a packet capture (pcap or pcapng); - reads one from stdin: ${LIVE_EXAMPLE}`)
    .option('--port <port>', 'only connections with this port on one side (repeat for several; default: every connection is looked at)', (v: string, all: string[]) => [...all, v], [])
    .option('--json', 'print one JSON object per event on stdout')
    .option('--no-tui', 'print one line per event (the default when stdout is not a terminal)')
    .option('--capture <path>', 'also write the links as a repl-spy capture (replay reads it)')
    .option('--capture-rdb <full|none>', 'with --capture: keep RDB bodies, or only their size and hash', 'full')
    .option('--capture-secrets', 'with --capture: write AUTH passwords into it (masked by default)')
    .option('--show-secrets', 'show AUTH passwords in the output (masked by default)')
    .option('--no-rdb-analysis', 'only frame the RDB payload, do not decode its keys')
    .option('--no-rdb-checksum', "decode the RDB's keys but do not verify its CRC-64")
    .option('--metrics <[host:]port>', 'serve Prometheus metrics at http://host:port/metrics while reading (for pcap -)')
    .option('--report <file>', 'write an HTML incident report when the capture ends')
    .option('--debug', 'stack traces')
    .action(async (file: string, _local: unknown, cmd: Command) => {
      // the root command (the proxy) shares option names such as --json: read them from both
      const flags = subcommandFlags<PcapFlags>(cmd);
      await runPcap(file, flags).catch((err) => failAndExit(err, flags.debug));
    });
}

async function runPcap(file: string, flags: PcapFlags): Promise<void> {
  const ports = flags.port.map(parsePort);
  if (flags.captureRdb !== 'full' && flags.captureRdb !== 'none') {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--capture-rdb must be full or none, not ${JSON.stringify(flags.captureRdb)}`);
  }
  const live = file === '-';
  if (live && process.stdin.isTTY) {
    throw new ReplSpyError('RSPY_BAD_ARGS', 'pcap - reads a capture from stdin, but stdin is a terminal', { hint: `e.g. ${LIVE_EXAMPLE}` });
  }
  const name = live ? 'stdin' : file;
  const metricsAt = flags.metrics === undefined ? null : parseHostPort(flags.metrics, '127.0.0.1');
  const mode = outputModeOf(flags);
  const pipeline = createPipeline({
    showSecrets: flags.showSecrets,
    rdbSink: flags.rdbAnalysis ? (ctx) => makeRdbSink(ctx, { verifyChecksum: flags.rdbChecksum }) : undefined,
    onSubscriberError: (err) => process.stderr.write(`repl-spy: an output failed and was stopped: ${String(err)}\n`),
  });
  // the capture starts at the time of the first packet it holds
  let capture: CaptureWriter | null = null;
  const captureAt = (at: number): CaptureWriter | null =>
    flags.capture === undefined
      ? null
      : (capture ??= openCaptureWriter({
          path: flags.capture,
          upstream: `pcap:${path.basename(name)}`,
          captureRdb: flags.captureRdb as 'full' | 'none',
          captureSecrets: flags.captureSecrets ?? false,
          startedAt: at,
          onGap: (loss) => process.stderr.write(`repl-spy: the capture lost ${loss.bytes} bytes of link ${loss.link} (${loss.reason})\n`),
        }));
  const deliver = (e: WireEvent): void => {
    captureAt(e.at)?.wire(e);
    pipeline.wire(e);
  };
  // the decoders' clock from the packets' times, as a live run would tick (lag between ACKs, silent replicas)
  const clock = { next: null as number | null };
  const source = new PcapSource(
    (e: WireEvent) => {
      for (const tick of ticksUpTo(clock, e.at)) deliver(tick);
      deliver(e);
    },
    { ports },
  );
  // the lag at a scrape is read at the packets' time, as the decoders' ticks are
  const metrics = metricsAt && (await (await import('../metrics/serve-metrics.js')).serveMetrics(metricsAt, pipeline, { now: () => source.at }));
  if (metrics) process.stderr.write(`repl-spy: metrics ${metrics.url}\n`);
  const report = flags.report === undefined ? null : recordReport(flags.report, pipeline, { title: `repl-spy report: ${path.basename(name)}`, source: `packet capture ${name}` });

  const input = live ? process.stdin : createReadStream(file, { highWaterMark: READ_BLOCK_BYTES });
  let quit = false;
  let onQuit = (): void => undefined;
  const quitted = new Promise<void>((resolve) => (onQuit = resolve));
  const stop = (): void => {
    quit = true;
    onQuit();
    input.destroy();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const output = await attachOutput(mode, pipeline.subscribe, {
    label: `pcap ${path.basename(name)}`,
    onQuit: stop,
    // a file: the time of the packets read so far; stdin: they arrive as they are captured
    clock: live ? undefined : () => source.at || null,
  });

  let failure: unknown = null;
  try {
    for await (const chunk of input) {
      source.feed(chunk as Buffer);
      if (process.stdout.writableLength > OUTPUT_HIGH_WATER_BYTES) await once(process.stdout, 'drain');
    }
    if (!quit) source.end();
  } catch (err) {
    if (!quit) failure = err; // everything before it was decoded
  }
  source.finish();
  const endAt = source.at;
  pipeline.end(endAt);
  if (mode === 'tui' && !quit) await quitted; // the screen stays until the user quits
  await output.stop();
  if (report) finishReport(report, endAt);
  await captureAt(endAt)?.close(endAt);
  await metrics?.close();
  const stats = source.stats();
  process.stderr.write(`repl-spy: ${name}: ${summary(stats, source.format)}\n`);
  if (failure) failAndExit(failure instanceof PcapError ? new Error(`${name}: ${failure.message}`) : new Error(`cannot read ${name}: ${String((failure as Error).message ?? failure)}`), flags.debug);
  if (stats.links === 0) {
    failAndExit(
      new Error(
        `${name}: no replication link found: capture a replica connecting (start tcpdump -s 0 before REPLICAOF), or a running link for over a second (replicas send REPLCONF ACK every second)${ports.length > 0 ? `; only connections on port ${ports.join(', ')} were looked at` : ''}`,
      ),
    );
  }
  process.exit(0);
}

function summary(s: PcapStats, format: string | null): string {
  const parts = [`${s.packets} packets${format ? ` (${format})` : ''}`, `${s.links} replication link${s.links === 1 ? '' : 's'} among ${s.connections} TCP connections`];
  if (s.gapBytes > 0) parts.push(`${s.gapBytes} bytes missing from the capture (gap events say where)`);
  if (s.skipped.fragment > 0) parts.push(`${s.skipped.fragment} IP fragments not reassembled`);
  if (s.skipped['cut-header'] > 0) parts.push(`${s.skipped['cut-header']} packets cut inside their headers (use -s 0)`);
  return parts.join(', ');
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new ReplSpyError('RSPY_BAD_ARGS', `--port must be a port number (1-65535), not ${JSON.stringify(text)}`);
  return n;
}
