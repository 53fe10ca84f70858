// Whether a master will answer `PSYNC <replid> <offset+1>` with +CONTINUE, judged from its `INFO replication`
// before asking: asking for what it cannot continue makes it fork a BGSAVE (R7.0 masterTryPartialResynchronization
// accepts the replid, or replid2 up to second_repl_offset, and an offset inside the backlog). Pure.

import type { MasterReplInfo } from '../decode/analysis/master-info.js';
import { explainFullResync } from '../decode/analysis/resync-reason.js';
import { argIs } from '../core/arg-is.js';

/** Where a tail stands: the history and the offset just after the last complete command it saw (its resume
 *  point: the next PSYNC asks for offset + 1). `db`: the db the stream is in there (null: not known yet). */
export interface StreamPosition {
  replid: string;
  offset: number;
  db: number | null;
}

export type PsyncPlan =
  | { continues: true; replid: string; offset: number }
  | { continues: false; code: 'no-backlog' | 'not-a-master' | string; text: string };

export function planPsync(at: StreamPosition, info: MasterReplInfo): PsyncPlan {
  const ask = { replid: at.replid, offset: at.offset + 1 };
  const known = at.replid === info.replid || (at.replid === info.replid2 && ask.offset <= info.secondOffset);
  if (known && !info.backlogActive) {
    return {
      continues: false,
      code: 'no-backlog',
      text:
        'the master has no replication backlog (repl_backlog_active:0): it had no replica since it started, or the backlog expired ' +
        '(repl-backlog-ttl); a replica that connects once creates it (with one full sync), or --allow-full-sync takes that full sync here',
    };
  }
  if (known && ask.offset >= info.backlogFirstByte && ask.offset <= info.offset + 1) return { continues: true, ...ask };
  const why = explainFullResync(ask, { replid: info.replid, offset: info.offset }, info, true);
  // a new history of a master that restarted: Redis keeps the replication id in its RDB only, not in an AOF
  const restarted = !known && info.offset < ask.offset && /^0+$/.test(info.replid2) ? ' (did it restart? a restart from an AOF, or without persistence, starts a new history)' : '';
  return { continues: false, code: why.code, text: `${why.text}${restarted}` };
}

/** `--from REPLID:OFFSET` (the offset of the last command seen, as the `command` events and the stop line give it). */
export function parseFrom(text: string): { replid: string; offset: number } | null {
  const m = /^([0-9a-f]{40}):(\d+)$/i.exec(text.trim());
  if (!m || !Number.isSafeInteger(Number(m[2]))) return null;
  return { replid: m[1].toLowerCase(), offset: Number(m[2]) };
}

/** A command tail saw: where it ended, how long it was, the db after it, and whether it changes no data. */
export interface SeenCommand {
  offset: number;
  bytes: number;
  db: number | null;
  /** `ping` and `REPLCONF GETACK`: the master's own, they change nothing */
  noop: boolean;
}

/** After a failover the promoted master's history (its replid2) ends at second_repl_offset - 1; tail may have
 *  seen more of the old master. When all it saw past that point changes no data (the old master's pings and
 *  GETACKs while Sentinel promoted the replica), it can go back there and follow the new history: the position
 *  to continue from, else null. */
export function rewindPastNoops(at: StreamPosition, info: MasterReplInfo, seen: readonly SeenCommand[]): StreamPosition | null {
  const end = info.secondOffset - 1;
  if (at.replid !== info.replid2 || at.offset <= end || seen.length === 0) return null;
  const after = seen.filter((c) => c.offset > end);
  if (after.length === 0 || !after.every((c) => c.noop)) return null;
  const before = seen.filter((c) => c.offset <= end).at(-1);
  // `end` must be where a command ended (or where the first one seen began)
  if (before ? before.offset !== end : after[0]!.offset - after[0]!.bytes !== end) return null;
  return { replid: at.replid, offset: end, db: before ? before.db : null };
}

/** A command of the stream that changes no data: a master's PING, REPLCONF GETACK, and Sentinel's hello (a PUBLISH
 *  to `__sentinel__:hello`, which the old master propagates every 2 s, also after the promotion point). */
export function isNoop(argv: Buffer[]): boolean {
  const name = argv[0];
  if (argIs(name, 'PUBLISH')) return argv.length === 3 && argv[1]!.toString('latin1') === '__sentinel__:hello';
  return argIs(name, 'PING') || (argIs(name, 'REPLCONF') && argIs(argv[1], 'GETACK'));
}
