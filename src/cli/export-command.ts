// `repl-spy export FILE --format jsonl|resp|pcap [--link N] [--slot N|A-B]`: jsonl is the decoded event stream (as `--json`);
// resp is the propagated command stream of one link as RESP with SELECTs, for `redis-cli --pipe`; pcap is every
// link as a TCP connection, for Wireshark (export-pcap.ts). `--slot` keeps the commands of some cluster slots
// (jsonl: and every other event; resp: and MULTI/EXEC, so that a slot range moved by a reshard can be re-applied).
import { once } from 'node:events';
import type { Command } from 'commander';
import { eventFilter, missingLink } from '../replay/event-filter.js';
import { openCapture } from '../capture/reader.js';
import type { ReplEvent } from '../core/events.js';
import { ReplSpyError } from '../core/errors.js';
import { inSlotRange, type SlotRange } from '../core/slot-range.js';
import { createPipeline } from '../decode/pipeline.js';
import { makeRdbSink } from '../decode/rdb-sink.js';
import { encodeCommand } from '../net/resp-client.js';
import { jsonLine } from '../output/json-output.js';
import { failAndExit } from './fail.js';
import { subcommandFlags } from './subcommand-flags.js';
import { optionalInt, optionalSlot } from './replay-command.js';
import { exportPcap } from './export-pcap.js';

interface ExportFlags {
  format: string;
  link?: string;
  slot?: string;
  showSecrets?: boolean;
  rdbAnalysis: boolean;
  debug?: boolean;
}

/** Master-generated traffic that is not data: a plain server would answer it, or refuse it. */
const NOT_DATA = new Set(['PING', 'REPLCONF', 'SELECT']);
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

export function registerExportCommand(program: Command): void {
  program
    .command('export <file>')
    .description('write a capture as decoded events (jsonl), as the RESP command stream of one link (resp), or as packets (pcap)')
    .requiredOption('--format <jsonl|resp|pcap>', 'jsonl: one JSON event per line; resp: commands for redis-cli --pipe; pcap: the links as TCP connections, for Wireshark')
    .option('--link <n>', 'only this link (resp: required when several links carry commands)')
    .option('--slot <n|a-b>', 'jsonl, resp: only commands whose keys hash to this cluster slot or slot range')
    .option('--show-secrets', 'show AUTH passwords kept in the capture (masked by default)')
    .option('--no-rdb-analysis', 'jsonl: only frame the RDB payload, do not decode its keys')
    .option('--debug', 'stack traces')
    .action(async (file: string, _local: unknown, cmd: Command) => {
      // the root command (the proxy) shares option names such as --show-secrets: read them from both
      const flags = subcommandFlags<ExportFlags>(cmd);
      await runExport(file, flags).catch((err) => failAndExit(err, flags.debug));
    });
}

async function runExport(file: string, flags: ExportFlags): Promise<void> {
  if (flags.format !== 'jsonl' && flags.format !== 'resp' && flags.format !== 'pcap') {
    throw new ReplSpyError('RSPY_BAD_ARGS', `--format must be jsonl, resp or pcap, not ${JSON.stringify(flags.format)}`);
  }
  const link = optionalInt(flags.link, '--link');
  const slot = optionalSlot(flags.slot, '--slot');
  if (slot && flags.format === 'pcap') throw new ReplSpyError('RSPY_BAD_ARGS', '--slot applies to jsonl and resp: a pcap keeps every byte of a link');
  const capture = await openCapture(file);
  if (flags.format === 'pcap') return exportPcap(capture, link);
  const pipeline = createPipeline({
    showSecrets: flags.showSecrets,
    rdbSink: flags.format === 'jsonl' && flags.rdbAnalysis ? makeRdbSink : undefined,
    // resp needs every argument whole
    keepArgBytes: flags.format === 'resp' ? Infinity : undefined,
  });
  const lines: string[] = [];
  const resp = flags.format === 'resp' ? new RespExport(link, slot) : null;
  const shown = eventFilter({ link, slot });
  pipeline.subscribe((e) => {
    if (resp) resp.take(e);
    else if (shown(e)) lines.push(jsonLine(e));
  });
  let lastAt = capture.meta.startedAt;
  let damage: unknown = null;
  const seen = new Set<number>();
  try {
    for await (const e of capture.events()) {
      lastAt = e.at;
      if ('link' in e) seen.add(e.link);
      pipeline.wire(e);
      if (!resp) await writeLines(lines.splice(0));
      else if (link !== undefined) await write(resp.drain(link));
    }
  } catch (err) {
    damage = err; // everything before the damage is exported
  }
  pipeline.end(capture.endAt ?? lastAt);
  const missing = missingLink(link, seen);
  if (missing) throw new ReplSpyError('RSPY_EXPORT', `${file}: ${missing}`);
  if (resp) {
    const chosen = link ?? resp.onlyLink();
    await write(resp.drain(chosen));
    for (const note of resp.notes(chosen)) process.stderr.write(`repl-spy: ${note}\n`);
  } else {
    await writeLines(lines.splice(0));
  }
  if (damage) failAndExit(damage, flags.debug);
}

/** Writes to stdout, waiting when it is behind (a file can wait, unlike the live proxy). */
async function write(parts: Buffer[]): Promise<void> {
  for (const p of parts) process.stdout.write(p);
  if (process.stdout.writableLength > HIGH_WATER_BYTES) await once(process.stdout, 'drain');
}

function writeLines(lines: string[]): Promise<void> {
  return write(lines.length > 0 ? [Buffer.from(lines.join('\n') + '\n')] : []);
}

/** Per link: the data commands as RESP, with a SELECT wherever the db changes. */
class RespExport {
  private readonly links = new Map<number, { out: Buffer[]; db: number | null; unknownDb: number; fullSync: boolean; commands: number }>();

  constructor(
    private readonly only: number | undefined,
    private readonly slot: SlotRange | undefined,
  ) {}

  take(e: ReplEvent): void {
    if (this.only !== undefined && e.link !== this.only) return;
    if (e.type === 'fullresync') this.link(e.link).fullSync = true;
    if (e.type !== 'command') return;
    const name = e.argv[0]?.toString('latin1').toUpperCase() ?? '';
    if (NOT_DATA.has(name)) return;
    if (this.slot && !inSlotRange(e.slot, this.slot) && name !== 'MULTI' && name !== 'EXEC') return;
    const l = this.link(e.link);
    l.commands++;
    if (e.db === null) l.unknownDb++;
    else if (e.db !== l.db && name !== 'MULTI' && name !== 'EXEC') {
      l.out.push(encodeCommand(['SELECT', e.db]));
      l.db = e.db;
    }
    l.out.push(encodeCommand(e.argv));
  }

  drain(link: number): Buffer[] {
    const l = this.links.get(link);
    return l ? l.out.splice(0) : [];
  }

  onlyLink(): number {
    const withCommands = [...this.links].filter(([, l]) => l.commands > 0).map(([id]) => id);
    if (withCommands.length === 1) return withCommands[0]!;
    if (withCommands.length === 0) throw new ReplSpyError('RSPY_EXPORT', 'no link of this capture carries propagated commands');
    throw new ReplSpyError('RSPY_BAD_ARGS', `links ${withCommands.join(', ')} carry commands: choose one with --link`);
  }

  notes(link: number): string[] {
    const l = this.links.get(link);
    if (!l) return [`link ${link} carries no propagated commands`];
    const notes: string[] = [];
    if (l.fullSync) notes.push(`link ${link} began with a full sync: its RDB snapshot is not in this RESP stream (replay --to loads both)`);
    if (l.unknownDb > 0) notes.push(`${l.unknownDb} commands of link ${link} came before any SELECT: they go to the server's current db`);
    return notes;
  }

  private link(id: number) {
    let l = this.links.get(id);
    if (!l) this.links.set(id, (l = { out: [], db: null, unknownDb: 0, fullSync: false, commands: 0 }));
    return l;
  }
}
