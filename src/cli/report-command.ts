// `repl-spy report CAPTURE [-o report.html]`: the capture through the same decoder as replay (its events at their
// recorded times), gathered into one self-contained HTML incident report.
import path from 'node:path';
import type { Command } from 'commander';
import { openCapture } from '../capture/reader.js';
import { createPipeline } from '../decode/pipeline.js';
import { makeRdbSink } from '../decode/rdb-sink.js';
import { recordReport } from '../report/record-report.js';
import { failAndExit } from './fail.js';
import { finishReport, parseAckTimeout } from './run-live.js';
import { subcommandFlags } from './subcommand-flags.js';

interface ReportFlags {
  output?: string;
  rdbAnalysis: boolean;
  ackTimeout: string;
  debug?: boolean;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report <capture>')
    .description('write an HTML incident report of a capture: timeline of every link, lag, commands, RDB, what could not be decoded')
    .option('-o, --output <file>', 'where to write it (default: the capture with .html)')
    .option('--no-rdb-analysis', 'only frame the RDB payload, do not decode its keys')
    .option('--ack-timeout <duration>', 'an ack-silence for a replica with nothing to acknowledge after this long without an ACK (2s when it has)', '3s')
    .option('--debug', 'stack traces')
    .action(async (file: string, _local: unknown, cmd: Command) => {
      const flags = subcommandFlags<ReportFlags>(cmd);
      await runReport(file, flags).catch((err) => failAndExit(err, flags.debug));
    });
}

async function runReport(file: string, flags: ReportFlags): Promise<void> {
  const out = flags.output ?? `${file.replace(/\.rspy$/, '')}.html`;
  const capture = await openCapture(file);
  const pipeline = createPipeline({ rdbSink: flags.rdbAnalysis ? makeRdbSink : undefined, ackTimeoutMs: parseAckTimeout(flags.ackTimeout) });
  const report = recordReport(out, pipeline, {
    title: `repl-spy report: ${path.basename(file)}`,
    source: `capture ${file}, recorded ${new Date(capture.meta.startedAt).toISOString()} from ${capture.meta.upstream}`,
  });
  let lastAt = capture.meta.startedAt;
  let damage: unknown = null;
  try {
    for await (const e of capture.events()) {
      lastAt = e.at;
      pipeline.wire(e);
    }
  } catch (err) {
    damage = err; // the report covers every complete record before the damage
  }
  const endAt = capture.endAt ?? lastAt;
  pipeline.end(endAt);
  const written = finishReport(report, endAt);
  if (damage) failAndExit(damage, flags.debug);
  process.exit(written ? 0 : 1);
}
