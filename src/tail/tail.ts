// `repl-spy tail`: follows a master's command stream as a replica that never asks for a snapshot. Each connection
// is a link of its own in the pipeline (same decoder, events, capture as the proxy); the decoded events drive it:
// `command` events give the exact offset and db reached, which is where the next connection continues (PSYNC
// <replid> <offset+1>) after a cut, a master restart or, with `--follow`, a failover (`+CONTINUE <new replid>`
// moves it onto the new history). Before every PSYNC the master's INFO says whether it can continue: if not,
// tail stops and says why rather than make the master fork, unless full syncs are allowed.
import { parseReplicationInfo } from '../decode/analysis/master-info.js';
import { ReplSpyError } from '../core/errors.js';
import type { ReplEvent, WireSink } from '../core/events.js';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import type { Pipeline } from '../decode/pipeline.js';
import type { ClientTls } from '../net/tls-options.js';
import { wireNow } from '../core/clock.js';
import { streamDbAt } from './db-scan.js';
import { MasterRefusal, openMasterLink, type MasterAuth, type MasterLink } from './master-link.js';
import type { MasterSource } from './master-source.js';
import { isNoop, planPsync, rewindPastNoops, type SeenCommand, type StreamPosition } from './psync-plan.js';
import { argIs } from '../core/arg-is.js';

/** How often a replica acknowledges (Redis: once a second from replicationCron). */
export const ACK_EVERY_MS = 1_000;
const RETRY_MAX_MS = 2_000;
/** Commands remembered for rewindPastNoops (an old master pings every 10 s: a few are what a failover adds). */
const SEEN_KEPT = 1024;

/** Where the stream goes besides the decoder (`--to`): complete commands only, so that a cut never leaves half
 *  of one behind. */
export interface StreamRelay {
  /** Stream bytes as they arrive; `firstOffset` is the replication offset of part[0]. */
  stream(part: Buffer, firstOffset: number): void;
  /** Everything up to `at.offset` is whole commands, of history `at.replid`; the stream is in `at.db` there. */
  commit(at: StreamPosition): void;
  /** The link to the master ended: bytes after the last commit will come again. */
  linkLost(): void;
  /** The master continued on a new history (a failover). */
  historyChanged(replid: string): void;
}

export interface TailOptions {
  source: MasterSource;
  tls: ClientTls | null;
  auth: MasterAuth;
  /** where to start (default: the master's replid and offset now) */
  from: StreamPosition | null;
  allowFullSync: boolean;
  pipeline: Pipeline;
  onWire: WireSink;
  say: (line: string) => void;
  relay?: StreamRelay;
  /** the link being read (null between links): whoever must hold the master back (a slow output) */
  onLink?: (link: MasterLink | null) => void;
}

export interface Tail {
  position(): StreamPosition | null;
  /** Settles when tail stops by itself: the history cannot be continued, the master refuses us. */
  readonly failed: Promise<ReplSpyError>;
  /** Ends the current link and stops. */
  stop(): Promise<void>;
}

type Phase = 'handshake' | 'full-sync' | 'streaming';

export function startTail(opts: TailOptions): Tail {
  const { pipeline, say, relay } = opts;
  let position: StreamPosition | null = opts.from;
  let current: MasterLink | null = null;
  let phase: Phase = 'handshake';
  let replies = 0;
  let nextLink = 1;
  let stopping = false;
  let lastProblem: string | null = null;
  let closeReason = '';
  let followedOnce = false;
  let dbKnownAt: StreamPosition | null = null;
  const seen: SeenCommand[] = []; // the last commands, to go back past an old master's pings after a failover
  // where this link's stream starts in the master's bytes, and the offset before its first byte
  let streamStartPos: number | null = null;
  let streamBase = 0;
  let masterPos = 0;
  let fail!: (err: ReplSpyError) => void;
  const failed = new Promise<ReplSpyError>((resolve) => (fail = resolve));
  const problem = (line: string): void => {
    if (line !== lastProblem) say(line);
    lastProblem = line;
  };
  const give = (err: ReplSpyError): void => {
    stopping = true;
    clearInterval(acks);
    current?.close('tail stopped');
    fail(err);
  };
  const ackNow = (): void => {
    // One byte short of what was decoded: a replica whose ACK equals the master's offset is what WAIT counts and
    // what FAILOVER (without TO) promotes, and tail is neither durable nor a server.
    if (current && phase === 'streaming' && position) current.ack(Math.max(0, position.offset - 1));
  };
  const acks = setInterval(ackNow, ACK_EVERY_MS);

  const onEvent = (e: ReplEvent): void => {
    switch (e.type) {
      case 'master-reply':
        replies++;
        // writes wait for the end of the chunk being decoded (they are wire events too)
        if (replies === current!.replconfs) queueMicrotask(() => current?.psync());
        else if (replies === current!.replconfs + 1) onPsyncAnswer(e.reply, e.pos);
        return;
      case 'continue': {
        const replid = e.replid ?? position!.replid;
        phase = 'streaming';
        lastProblem = null;
        if (replid !== position!.replid) {
          say(`the master continues this stream as a new history ${replid} (after a failover or a restart): following it from offset ${position!.offset}`);
          relay?.historyChanged(replid);
        }
        position = { ...position!, replid };
        say(`${followedOnce ? 'continued' : 'following'} ${replid}:${position.offset} with +CONTINUE: no snapshot, no fork${followedOnce ? ', no command lost or repeated' : ''}`);
        followedOnce = true;
        return;
      }
      case 'fullresync':
        if (!opts.allowFullSync) {
          give(new ReplSpyError('RSPY_TAIL_NO_PSYNC', `the master answered +FULLRESYNC (its backlog moved past offset ${position!.offset + 1} between INFO and PSYNC): it forks a BGSAVE now; tail stopped`, { hint: 'raise repl-backlog-size, or add --allow-full-sync' }));
          return;
        }
        phase = 'full-sync';
        position = { replid: e.replid, offset: e.offset, db: null };
        return;
      case 'rdb-end':
        phase = 'streaming';
        queueMicrotask(ackNow); // the master starts the stream of a diskless sync on the first ACK
        return;
      case 'command':
        // the first point of this link where the stream's db is known (a new --to copy starts there)
        if (relay && position!.db === null && e.db !== null) dbKnownAt = { replid: position!.replid, offset: e.offset, db: e.db };
        position = { replid: position!.replid, offset: e.offset, db: e.db };
        seen.push({ offset: e.offset, bytes: e.bytes, db: e.db, noop: isNoop(e.argv) });
        if (seen.length > SEEN_KEPT * 2) seen.splice(0, seen.length - SEEN_KEPT);
        if (isGetack(e.argv)) queueMicrotask(ackNow);
        return;
      case 'protocol-violation':
        if (e.from === 'master') give(new ReplSpyError('RSPY_TAIL', `the master's stream cannot be decoded at byte ${e.pos} (${e.message}): its offsets are lost, so tail cannot continue it`));
        return;
      case 'link-close':
        closeReason = `${e.by === 'replica' ? 'closed by tail' : 'closed by the master'}: ${e.reason}`;
        return;
      default:
        return;
    }
  };
  pipeline.subscribe((e) => {
    if (current && 'link' in e && e.link === current.link) onEvent(e);
  });

  /** The reply to PSYNC (the replies to the REPLCONFs before it are +OK, or errors a replica ignores). */
  const onPsyncAnswer = (reply: string, pos: number): void => {
    if (reply.startsWith('+CONTINUE')) {
      streamStartPos = pos + Buffer.byteLength(reply, 'latin1') + 2;
      streamBase = position!.offset;
      return;
    }
    if (!reply.startsWith('-')) return;
    if (/^-(NOMASTERLINK|LOADING)/.test(reply)) {
      problem(`the master cannot serve a replica now (${reply.slice(1)}): trying again`);
      current!.close(`PSYNC answered ${reply}`);
      return;
    }
    give(new ReplSpyError('RSPY_TAIL', `the master refused PSYNC: ${reply.slice(1)}`, /^-NOPERM/.test(reply) ? { hint: 'the user needs +psync +replconf' } : {}));
  };

  const onMasterBytes = (chunk: Buffer): void => {
    const p0 = masterPos;
    masterPos += chunk.length;
    if (!relay || streamStartPos === null || phase !== 'streaming' || masterPos <= streamStartPos) return;
    const skip = Math.max(0, streamStartPos - p0);
    relay.stream(skip === 0 ? chunk : chunk.subarray(skip), streamBase + 1 + (p0 + skip - streamStartPos));
    if (dbKnownAt) relay.commit(dbKnownAt);
    dbKnownAt = null;
    relay.commit(position!);
  };

  const run = async (): Promise<void> => {
    let failures = 0;
    while (!stopping) {
      if (failures > 0) await new Promise((r) => setTimeout(r, Math.min(RETRY_MAX_MS, 100 * 2 ** (failures - 1))));
      if (stopping) break;
      let link: MasterLink;
      let master: HostPort;
      let where = opts.source.label;
      try {
        master = await opts.source.resolve();
        where = formatHostPort(master.host, master.port);
        link = await openMasterLink(master, { link: nextLink, tls: opts.tls, auth: opts.auth, onWire: opts.onWire, onMasterBytes });
      } catch (err) {
        if (err instanceof MasterRefusal) return give(err);
        failures++;
        problem(`cannot reach the master ${where} (${err instanceof Error ? err.message : String(err)}): trying again`);
        continue;
      }
      if (stopping) {
        link.close('tail stopped');
        break;
      }
      nextLink++;
      const info = parseReplicationInfo(link.info, wireNow());
      if (!info) {
        link.close('INFO replication unreadable');
        return give(new ReplSpyError('RSPY_TAIL', `${where}: INFO replication does not give master_replid, master_repl_offset and the backlog: is it a Redis or Valkey server?`));
      }
      let at: StreamPosition = { ...(position ?? { replid: info.replid, offset: info.offset, db: null }) };
      let plan = planPsync(at, info);
      const back = plan.continues || relay ? null : rewindPastNoops(at, info, seen);
      if (back) {
        say(`the promoted master's history ends at offset ${back.offset}, before the ${at.offset - back.offset} bytes of pings tail saw of the old master (no data): following it from there`);
        at = back;
        seen.splice(seen.findIndex((c) => c.offset > back.offset));
        plan = planPsync(at, info);
      }
      if (!plan.continues && (!opts.allowFullSync || relay)) {
        link.close('no partial resync possible');
        return give(
          new ReplSpyError('RSPY_TAIL_NO_PSYNC', `${where} cannot continue the stream at ${at.replid}:${at.offset} without a full sync: ${plan.text}`, {
            hint: relay ? 'tail stopped: a full sync cannot be passed on to --to' : 'tail stopped rather than make the master fork; --allow-full-sync takes the full sync',
          }),
        );
      }
      if (!plan.continues) say(`a partial resync is impossible (${plan.text}): --allow-full-sync: taking a full sync (the master forks a BGSAVE)`);
      if (plan.continues && at.db === null) at.db = await streamDbAt(master, { tls: opts.tls, auth: opts.auth }, at, info);
      if (stopping) {
        link.close('tail stopped');
        break;
      }
      position = at;
      dbKnownAt = at.db === null ? null : { ...at }; // known where the stream starts
      current = link;
      phase = 'handshake';
      replies = 0;
      streamStartPos = null;
      masterPos = 0;
      closeReason = '';
      opts.onLink?.(link);
      link.start({ replid: at.replid, offset: at.offset + 1, smallestRdb: opts.allowFullSync && !relay, streamDb: at.db });
      const recheck = opts.source.recheckMs ? setInterval(() => void leaveIfReplaced(link, where), opts.source.recheckMs) : null;
      await link.closed;
      if (recheck) clearInterval(recheck);
      const streamed = (phase as Phase) === 'streaming'; // set by the events while we waited
      current = null;
      opts.onLink?.(null);
      relay?.linkLost();
      failures = streamed ? 0 : failures + 1;
      if (!stopping) problem(`the link to ${where} ended (${closeReason || 'connection lost'}): continuing from ${position!.replid}:${position!.offset}`);
    }
  };
  /** A master the source no longer names (Sentinel promoted another) is left, even if it still answers. */
  const leaveIfReplaced = async (link: MasterLink, where: string): Promise<void> => {
    const named = await opts.source.resolve().catch(() => null);
    if (named && formatHostPort(named.host, named.port) !== where) link.close(`${opts.source.label} now names ${formatHostPort(named.host, named.port)} as the master`);
  };
  const running = run().catch((err: unknown) => give(new ReplSpyError('RSPY_TAIL', `tail failed: ${err instanceof Error ? err.message : String(err)}`)));

  return {
    position: () => position,
    failed,
    async stop() {
      stopping = true;
      clearInterval(acks);
      current?.close('tail stopped');
      await running;
    },
  };
}

/** `REPLCONF GETACK *`, which a replica answers with an ACK at once. */
function isGetack(argv: Buffer[]): boolean {
  return argIs(argv[0], 'REPLCONF') && argIs(argv[1], 'GETACK');
}
