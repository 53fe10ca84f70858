// `repl-spy replay FILE`: a capture through the same decoder and outputs as live (--json, --no-tui, the TUI),
// paced by the recorded times. `repl-spy replay FILE --to host:port`: one link's full sync into a real server.
import { once } from 'node:events';
import type { Command } from 'commander';
import { eventFilter, missingLink } from '../replay/event-filter.js';
import { replayToServer } from '../replay/fake-master.js';
import { extractFullSync } from '../replay/full-sync.js';
import { openCapture } from '../capture/reader.js';
import { pacedReplay } from '../replay/replay-source.js';
import { ReplSpyError } from '../core/errors.js';
import type { WireEvent, WireGap } from '../core/events.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { parseSlotRange, type SlotRange } from '../core/slot-range.js';
import { createPipeline } from '../decode/pipeline.js';
import { makeRdbSink } from '../decode/rdb-sink.js';
import { tlsFromFlags, type TlsFlags } from '../net/tls-options.js';
import { failAndExit } from './fail.js';
import { parseAckTimeout } from './run-live.js';
import { subcommandFlags } from './subcommand-flags.js';
import { attachOutput, outputModeOf, type OutputFlags } from './output-mode.js';
import { addListenTlsOptions, addTlsSettingsOptions, addUpstreamTlsOptions } from './tls-flags.js';

export interface ReplayFlags extends OutputFlags, TlsFlags {
  speed?: string;
  link?: string;
  command?: string;
  key?: string;
  db?: string;
  slot?: string;
  showSecrets?: boolean;
  clients?: boolean;
  rdbAnalysis: boolean;
  to?: string;
  toPassword?: string;
  toUser?: string;
  force?: boolean;
  timeout: string;
  ackTimeout: string;
  debug?: boolean;
}

/** Past this much unwritten output, replay waits for stdout (unlike live, a file can wait). */
const OUTPUT_HIGH_WATER_BYTES = 4 * 1024 * 1024;

export function registerReplayCommand(program: Command): void {
  const cmd = program
    .command('replay <file>')
    .description('replay a capture through the decoder as if live, or load one link into a server with --to')
    .option('--json', 'print one JSON object per event on stdout')
    .option('--no-tui', 'print one line per event (the default when stdout is not a terminal)')
    .option('--speed <n|max>', 'pace by the recorded times, 1 = real time (default: 1 with the TUI, else max)')
    .option('--link <n>', 'only this link')
    .option('--command <name>', 'only commands of this name')
    .option('--key <glob>', 'only commands whose key matches this glob')
    .option('--db <n>', 'only commands in this db')
    .option('--slot <n|a-b>', 'only commands whose keys hash to this cluster slot or slot range')
    .option('--show-secrets', 'show AUTH passwords kept in the capture (masked by default)')
    .option('--clients', 'one client-command event per command of a client link (default: only client-open/close with totals)')
    .option('--no-rdb-analysis', 'only frame the RDB payload, do not decode its keys')
    .option('--ack-timeout <duration>', 'an ack-silence for a replica with nothing to acknowledge after this long without an ACK (2s when it has)', '3s')
    .option('--to <host:port>', 'give this server the dataset of one link: its RDB snapshot, then its commands')
    .option('--to-password <password>', 'AUTH for the --to server (default: REDISCLI_AUTH)')
    .option('--to-user <user>', 'ACL user for the --to server')
    .option('--force', 'with --to: replace what the server holds (keys, its master, its replicas), after saying what')
    .option('--timeout <ms>', 'with --to: how long the server may take to load and acknowledge', '60000')
    .option('--debug', 'stack traces');
  // with --to: our connection to the server (--upstream-*), and the master port it replicates from (--tls-*)
  addTlsSettingsOptions(addListenTlsOptions(addUpstreamTlsOptions(cmd, 'the --to server'), 'the --to server (it replicates from repl-spy)'))
    .action(async (file: string, _local: unknown, cmd: Command) => {
      // the root command (the proxy) shares option names such as --json: read them from both
      const flags = subcommandFlags<ReplayFlags>(cmd);
      await (flags.to ? replayTo(file, flags) : replay(file, flags)).catch((err) => failAndExit(err, flags.debug));
    });
}

async function replay(file: string, flags: ReplayFlags): Promise<void> {
  const tls = tlsFromFlags(flags);
  if (tls.listen || tls.upstream) {
    throw new ReplSpyError('RSPY_BAD_ARGS', 'the TLS flags of replay apply only with --to', { hint: 'give --to host:port, or leave them out' });
  }
  const mode = outputModeOf(flags);
  const speed = parseSpeed(flags.speed ?? (mode === 'tui' ? '1' : 'max'));
  const filterLink = optionalInt(flags.link, '--link');
  const filter = eventFilter({
    link: filterLink,
    command: flags.command,
    key: flags.key,
    db: optionalInt(flags.db, '--db'),
    slot: optionalSlot(flags.slot, '--slot'),
  });
  const capture = await openCapture(file);
  const pipeline = createPipeline({
    showSecrets: flags.showSecrets,
    itemiseClients: flags.clients ?? false,
    rdbSink: flags.rdbAnalysis ? makeRdbSink : undefined,
    ackTimeoutMs: parseAckTimeout(flags.ackTimeout),
    onSubscriberError: (err) => process.stderr.write(`repl-spy: an output failed and was stopped: ${String(err)}\n`),
  });
  const { events, clock } = pacedReplay(capture.events(), speed);
  let quit = false;
  let onQuit = (): void => undefined;
  const quitted = new Promise<void>((resolve) => (onQuit = resolve));
  const output = await attachOutput(mode, pipeline.subscribe, {
    label: `replay ${file} (captured ${new Date(capture.meta.startedAt).toISOString()} from ${capture.meta.upstream})`,
    onQuit: () => {
      quit = true;
      onQuit();
    },
    replay: clock,
    filter,
    onLost: () => {
      quit = true;
      onQuit();
    },
  });
  let lastAt = capture.meta.startedAt;
  let damage: unknown = null;
  const losses: string[] = [];
  const seen = new Set<number>();
  try {
    for await (const e of events) {
      if (quit) break;
      lastAt = e.at;
      if ('link' in e) seen.add(e.link);
      if (e.kind === 'gap' && e.reason !== 'rdb-elided') losses.push(lossText(e));
      pipeline.wire(e);
      if (!quit && process.stdout.writableLength > OUTPUT_HIGH_WATER_BYTES) await once(process.stdout, 'drain').catch(() => undefined);
    }
  } catch (err) {
    damage = err; // every complete record before the damage was replayed
  }
  pipeline.end(capture.endAt ?? lastAt);
  if (mode === 'tui' && !quit) await quitted; // the screen stays until the user quits
  await output.stop();
  if (losses.length > 0) process.stderr.write(`repl-spy: the capture has gaps (bytes not recorded, everything else replayed): ${losses.join('; ')}\n`);
  if (damage) failAndExit(damage, flags.debug);
  const missing = quit ? null : missingLink(filterLink, seen);
  if (missing) process.stderr.write(`repl-spy: ${file}: ${missing}\n`);
  process.exit(missing ? 1 : 0);
}

async function replayTo(file: string, flags: ReplayFlags): Promise<void> {
  const target = parseHostPort(flags.to!);
  const { listen: listenTls, upstream: targetTls } = tlsFromFlags(flags);
  const capture = await openCapture(file);
  const { sync, problems } = await extractFullSync(capture, optionalInt(flags.link, '--link'));
  for (const p of problems) process.stderr.write(`repl-spy: not replayed: ${p}\n`);
  if (!sync) throw new ReplSpyError('RSPY_REPLAY', `nothing of ${file} could be replayed to ${flags.to}`);
  const acked = await replayToServer({
    target,
    password: flags.toPassword ?? (process.env.REDISCLI_AUTH || undefined),
    user: flags.toUser,
    force: flags.force ?? false,
    targetTls,
    listenTls,
    sync,
    timeoutMs: Number(flags.timeout),
    log: (line) => process.stderr.write(`repl-spy: ${line}\n`),
  });
  process.stderr.write(
    `repl-spy: ${formatHostPort(target.host, target.port)} loaded link ${sync.link}: RDB of ${sync.rdbBytes} bytes at offset ${sync.offset}, ` +
      `commands up to offset ${acked}; it is a master again (REPLICAOF NO ONE)\n`,
  );
  process.exit(problems.length > 0 ? 1 : 0);
}

/** "link 1 master: 5242880 bytes (disk-error: ...) from byte 100, 12:00:01.234 to 12:00:03.456" */
function lossText(e: WireGap): string {
  const clock = (at: number) => new Date(at).toISOString().slice(11, 23);
  return `link ${e.link} ${e.from}: ${e.bytes} bytes (${e.reason}), ${clock(e.at)}${e.untilAt === undefined ? '' : ` to ${clock(e.untilAt)}`}`;
}

export function parseSpeed(text: string): number {
  if (text === 'max') return Infinity;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new ReplSpyError('RSPY_BAD_ARGS', `--speed must be a positive number or max, not ${JSON.stringify(text)}`);
  return n;
}

/** `--slot N` or `--slot A-B`: a usage error when it is neither. */
export function optionalSlot(text: string | undefined, flag: string): SlotRange | undefined {
  if (text === undefined) return undefined;
  const range = parseSlotRange(text);
  if ('error' in range) throw new ReplSpyError('RSPY_BAD_ARGS', `${flag}: ${range.error}`);
  return range;
}

export function optionalInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new ReplSpyError('RSPY_BAD_ARGS', `${flag} must be a whole number, not ${JSON.stringify(text)}`);
  return n;
}
