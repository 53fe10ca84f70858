// `repl-spy tail HOST:PORT`: the master's live command stream, as a replica that takes no snapshot: the same
// decoder, events, outputs, capture and filters as the proxy, resumed exactly where it stopped after a cut.
import type { Command } from 'commander';
import { eventFilter } from '../replay/event-filter.js';
import { ReplSpyError } from '../core/errors.js';
import type { ReplEvent, WireSink } from '../core/events.js';
import { parseHostPort, parseUpstream } from '../core/host-port.js';
import { tlsFromFlags, type TlsFlags } from '../net/tls-options.js';
import { ANNOUNCED_IP, ANNOUNCED_PORT, type MasterLink } from '../tail/master-link.js';
import { fixedMaster, parseSentinelUrl, sentinelMaster, type MasterSource } from '../tail/master-source.js';
import { parseFrom } from '../tail/psync-plan.js';
import { startTail } from '../tail/tail.js';
import { openTargetCopy } from '../tail/target-copy.js';
import { failAndExit } from './fail.js';
import { attachOutput } from './output-mode.js';
import { optionalInt, optionalSlot } from './replay-command.js';
import { addLiveOptions, startLive, type LiveFlags } from './run-live.js';
import { subcommandFlags } from './subcommand-flags.js';
import { addTlsSettingsOptions, addUpstreamTlsOptions, tlsStartLines } from './tls-flags.js';

export interface TailFlags extends LiveFlags, TlsFlags {
  user?: string;
  pass?: string;
  db?: string;
  slot?: string;
  command?: string;
  key?: string;
  from?: string;
  allowFullSync?: boolean;
  follow?: string;
  to?: string;
  toPassword?: string;
  toUser?: string;
  force?: boolean;
}

/** Past this much unwritten output, tail stops reading the master until stdout drains (as replay does). */
const OUTPUT_HIGH_WATER_BYTES = 4 * 1024 * 1024;

const TOPOLOGY_HELP = `
What the master shows for it (INFO replication), and what it does not disturb:
  slaveN:ip=${ANNOUNCED_IP},port=${ANNOUNCED_PORT},state=online,offset=<master_repl_offset - 1>,lag=0
  - It announces REPLCONF listening-port ${ANNOUNCED_PORT} and ip-address ${ANNOUNCED_IP} (.invalid never resolves).
    Sentinel reads a replica's priority (slave_priority) only from that replica's own INFO, at the ip:port the
    master lists; it cannot resolve this one, so it never adds tail as a replica, never promotes it, and keeps
    nothing of it in its config (it logs "Failed to resolve hostname" at each INFO of the master).
  - It acknowledges (REPLCONF ACK, every second and on GETACK) one byte less than it decoded, so FAILOVER without
    TO, which promotes the first replica whose ACK equals the master's offset (writes are paused meanwhile), never
    picks it: a caught-up replica at port 0 would leave the master replicating from nowhere. WAIT counts it like
    any replica once its ACK passed the write (with the next write or ping, as it is one byte short).
  - min-replicas-to-write counts it like any replica that acknowledged within min-replicas-max-lag: no Redis or
    Valkey version lets a replica opt out.
  - It asks for PSYNC <replid> <offset+1> only when INFO says the master can continue (the replid, or replid2 up
    to second_repl_offset, and an offset inside the backlog): no BGSAVE, no fork. A master that never had a
    replica has no backlog: attach a replica once, or use --allow-full-sync (one fork, the smallest RDB the
    server can send: REPLCONF rdb-filter-only "" on Redis 7.0+, an empty RDB).
TLS: the --upstream-* settings serve the master and, with --follow, Sentinel (its tls-port) alike.
Exit codes: 0 stopped (Ctrl-C, SIGTERM), 2 usage, 6 the stream cannot be continued without a full sync, 1 other.`;

export function registerTailCommand(program: Command): void {
  const cmd = program
    .command('tail [master]')
    .description("watch a master's live command stream as a replica, with no BGSAVE; resumes where it stopped")
    .option('--user <user>', 'ACL user on the master (needs +psync +replconf +info)')
    .option('-a, --pass <password>', "the master's password (default: REDISCLI_AUTH)")
    .option('--db <n>', 'only commands in this db')
    .option('--command <name>', 'only commands of this name')
    .option('--key <glob>', 'only commands whose key matches this glob')
    .option('--slot <n|a-b>', 'only commands whose keys hash to this cluster slot or slot range')
    .option('--from <replid:offset>', 'start after this offset of this history (the offset of the last command seen: the stop line prints it); history still in the backlog')
    .option('--allow-full-sync', 'when the master cannot continue the stream, take a full sync (one BGSAVE fork) instead of stopping')
    .option('--follow <sentinel://host:port/name>', 'ask Sentinel for the master before every connection: after a failover, follow the promoted replica')
    .option('--to <host:port>', 'keep a live copy of the stream on this server (it replicates from repl-spy); it survives cuts and a later run continues it')
    .option('--to-password <password>', 'AUTH for the --to server (default: REDISCLI_AUTH)')
    .option('--to-user <user>', 'ACL user for the --to server')
    .option('--force', 'with --to: replace what the server holds (keys, its master, its replicas), after saying what');
  addLiveOptions(addTlsSettingsOptions(addUpstreamTlsOptions(cmd, 'the master')))
    .addHelpText('after', TOPOLOGY_HELP)
    .action(async (master: string | undefined, _local: unknown, c: Command) => {
      const flags = subcommandFlags<TailFlags>(c);
      await runTail(master, flags).catch((err) => failAndExit(err, flags.debug));
    });
}

async function runTail(masterArg: string | undefined, flags: TailFlags): Promise<void> {
  if (!masterArg && !flags.follow) {
    throw new ReplSpyError('RSPY_BAD_ARGS', 'tail needs the master: HOST:PORT, or --follow sentinel://host:port/name', { hint: 'e.g. repl-spy tail 127.0.0.1:6379' });
  }
  if (masterArg && flags.follow) throw new ReplSpyError('RSPY_BAD_ARGS', 'give the master either as HOST:PORT or with --follow, not both');
  const upstream = masterArg ? parseUpstream(masterArg) : null;
  const { upstream: tls } = tlsFromFlags(flags);
  const source: MasterSource = upstream ? fixedMaster(upstream) : sentinelMaster(parseSentinelUrl(flags.follow!), tls);
  let from = null;
  if (flags.from !== undefined) {
    const f = parseFrom(flags.from);
    if (!f) throw new ReplSpyError('RSPY_BAD_ARGS', `--from must be REPLID:OFFSET (40 hex digits, a colon, an offset), not ${JSON.stringify(flags.from)}`);
    from = { ...f, db: null };
  }
  if (flags.to && flags.allowFullSync) throw new ReplSpyError('RSPY_BAD_ARGS', '--to and --allow-full-sync do not go together: a full sync cannot be passed on to the copy');
  const copy = flags.to
    ? await openTargetCopy({
        target: parseHostPort(flags.to),
        password: flags.toPassword ?? (process.env.REDISCLI_AUTH || undefined),
        user: flags.toUser,
        force: flags.force ?? false,
        log: (line) => process.stderr.write(`repl-spy: ${line}\n`),
      })
    : null;
  if (copy?.resumeAt && from) throw new ReplSpyError('RSPY_BAD_ARGS', `--from: ${flags.to} holds a copy to continue at ${copy.resumeAt.replid}:${copy.resumeAt.offset}; leave --from out`);
  const filter = eventFilter({ command: flags.command, key: flags.key, db: optionalInt(flags.db, '--db'), slot: optionalSlot(flags.slot, '--slot') });
  const auth = { user: flags.user ?? upstream?.user, password: flags.pass ?? upstream?.password ?? (process.env.REDISCLI_AUTH || undefined) };

  const { mode, logger, pipeline, capture, metrics, watchOutput, onWire, end } = await startLive(flags, { upstream: source.label, inline: true });
  const say = (line: string): void => {
    if (mode === 'tui') logger.warn(line);
    else process.stderr.write(`repl-spy: ${line}\n`);
  };
  for (const line of tlsStartLines(null, tls).warnings) process.stderr.write(`repl-spy: ${line}\n`);
  // Every command is printed: while stdout has not taken what was printed, tail reads no more from the master.
  let link: MasterLink | null = null;
  let held = false;
  const onWireHeld: WireSink = (e) => {
    onWire(e);
    const reading = link;
    if (held || mode === 'tui' || e.kind !== 'bytes' || e.from !== 'master' || !reading || process.stdout.writableLength < OUTPUT_HIGH_WATER_BYTES) return;
    held = true;
    reading.hold('output', true);
    process.stdout.once('drain', () => {
      held = false;
      reading.hold('output', false);
    });
  };
  let copyHeld = false;
  if (copy) {
    copy.onHold = (on) => {
      copyHeld = on;
      link?.hold('target', on);
    };
  }
  const onLink = (l: MasterLink | null): void => {
    link = l;
    if (copyHeld) l?.hold('target', true);
  };
  const tail = startTail({ source, tls, auth, from: copy?.resumeAt ?? from, allowFullSync: flags.allowFullSync ?? false, pipeline, onWire: onWireHeld, say, relay: copy ?? undefined, onLink });
  const output = await attachOutput(mode, pipeline.subscribe, {
    label: `tail ${source.label}${capture ? `  capture ${capture.path}` : ''}`,
    filter: (e) => !isOwnAck(e) && filter(e),
    onQuit: () => void shutdown(0),
    onLost: (why) => logger.warn(`${why}; tail goes on following and capturing`),
  });
  watchOutput(output);
  if (mode !== 'tui') process.stderr.write(`repl-spy: tail ${source.label}${capture ? `, capture ${capture.path}` : ''}${metrics ? `, metrics ${metrics.url}` : ''}\n`);

  let stopping = false;
  const shutdown = async (code: number, err?: ReplSpyError): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await tail.stop();
    const copied = await copy?.close();
    await end(output);
    const at = tail.position();
    if (at) process.stderr.write(`repl-spy: stopped at ${at.replid}:${at.offset} (continue with --from ${at.replid}:${at.offset})\n`);
    if (copied) {
      process.stderr.write(
        `repl-spy: --to ${flags.to} holds ${copied.replid} up to offset ${copied.offset} and stays a replica with its link down: ` +
          `repl-spy tail --to ${flags.to} continues it; REPLICAOF NO ONE on it makes it a master of its own\n`,
      );
    }
    if (err) failAndExit(err, flags.debug);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  void tail.failed.then((err) => shutdown(1, err));
  void copy?.failed.then((err) => shutdown(1, err));
}

/** tail's own acknowledgements (one byte short on purpose, see --help): in the capture, not in the output. */
function isOwnAck(e: ReplEvent): boolean {
  return e.type === 'ack' || e.type === 'lag' || e.type === 'ack-silence' || e.type === 'ack-resumed';
}
