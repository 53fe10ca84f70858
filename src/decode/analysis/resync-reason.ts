// Why a master answered a PSYNC as it did, in Redis's own terms (R7.0 masterTryPartialResynchronization):
// a PSYNC continues when the asked replid is the master's replid (or its replid2 up to second_repl_offset) and
// the asked offset lies within the backlog; otherwise it is a full sync. The wire shows the question and the
// answer, and the replids the master answered with before; the master's INFO replication (optional) adds
// replid2 and the backlog window. Where the wire alone cannot tell, the reason says so. Pure.

import type { ResyncReasonCode } from '../../core/events.js';
import type { MasterReplInfo } from './master-info.js';

export interface PsyncAsk {
  /** '?' for "PSYNC ? -1" */
  replid: string;
  offset: number;
}

export interface Explanation {
  code: ResyncReasonCode;
  text: string;
}

export interface BacklogWindow {
  first: number;
  last: number;
  size: number;
}

/** First and last offset the backlog holds when the master is at `masterOffsetNow`, extrapolated from an INFO
 *  read a little earlier (the window only moves forward: it grows up to repl-backlog-size, then slides). */
export function backlogWindow(m: MasterReplInfo, masterOffsetNow: number): BacklogWindow | null {
  if (!m.backlogActive) return null;
  const last = Math.max(m.offset, masterOffsetNow);
  const histlen = Math.min(m.backlogSize, m.backlogHistlen + (last - m.offset));
  return { first: last - histlen + 1, last, size: m.backlogSize };
}

export function explainFullResync(
  ask: PsyncAsk,
  answer: { replid: string; offset: number },
  master: MasterReplInfo | null,
  syncedBefore: boolean,
  /** the replica server's own INFO replication, when it is known (the lab polls every server) */
  replicaSelf: MasterReplInfo | null = null,
  /** replids this master answered PSYNCs with before, as the proxy saw them (its earlier histories) */
  earlierReplids: readonly string[] = [],
): Explanation {
  if (ask.replid === '?') {
    return syncedBefore
      ? { code: 'full-sync-requested', text: 'full sync requested by the replica (PSYNC ? -1): it synced before but kept no replication history' }
      : { code: 'first-sync', text: 'first sync: the replica has no replication history (PSYNC ? -1)' };
  }
  const info = master && master.replid === answer.replid ? master : null; // an INFO from another history says nothing
  const window = info ? backlogWindow(info, answer.offset) : null;
  if (ask.replid !== answer.replid) {
    if (info && ask.replid === info.replid2) {
      if (ask.offset > info.secondOffset) {
        return {
          code: 'past-failover-point',
          text: `replid ${short(ask.replid)} is the master's previous history, but it ends at offset ${info.secondOffset} (second_repl_offset) and the replica asked for ${ask.offset}: it is ahead of the promoted master`,
        };
      }
      return outsideBacklog(ask, answer.offset, window);
    }
    if (!info && earlierReplids.includes(ask.replid)) {
      return {
        code: 'undetermined',
        text: `full sync; the wire cannot tell why: the replica asked for ${short(ask.replid)} offset ${ask.offset}, a history this master had before ${short(answer.replid)} (its replid2 now?), and the offset may be past the failover point or outside the backlog (--master-info reads them)`,
      };
    }
    const known = info && !/^0+$/.test(info.replid2) ? ` and ${short(info.replid2)}` : '';
    if (replicaSelf?.replid === ask.replid) {
      // A server turned replica (REPLICAOF) asks with the history it had as a master: its first sync here.
      return {
        code: 'replid-unknown',
        text: `first sync with this master: the replica asked with its own history ${short(ask.replid)} (from when it was a master), unknown to the master, whose history is ${short(answer.replid)}${known}`,
      };
    }
    return {
      code: 'replid-unknown',
      text: `replid unknown to the master: the replica asked for ${short(ask.replid)}, the master's history is ${short(answer.replid)}${known}`,
    };
  }
  if (window && ask.offset >= window.first && ask.offset <= window.last + 1) {
    return {
      code: 'forced-full-sync',
      text: `forced full sync: replid and offset ${ask.offset} were within the backlog (${window.first}..${window.last}), yet the master chose a full sync`,
    };
  }
  return outsideBacklog(ask, answer.offset, window);
}

export function explainContinue(ask: PsyncAsk, answer: { replid: string | null }, master: MasterReplInfo | null): Explanation {
  if (answer.replid !== null && answer.replid !== ask.replid) {
    const upTo = master && master.replid === answer.replid && master.replid2 === ask.replid ? ` (kept as replid2 up to offset ${master.secondOffset})` : '';
    return {
      code: 'failover-new-replid',
      text: `new replid after a failover: the master continues the replica's history ${short(ask.replid)}${upTo} as ${short(answer.replid)}`,
    };
  }
  const info = master && (answer.replid === null || master.replid === answer.replid) ? master : null;
  // The master accepted the offset, so its own offset was at least ask.offset - 1 (the INFO may be older).
  const window = info ? backlogWindow(info, ask.offset - 1) : null;
  const where = window ? ` (backlog ${window.first}..${window.last}, ${Math.max(0, window.last - ask.offset + 1)} bytes to send)` : '';
  return { code: 'within-backlog', text: `partial resync within the backlog from offset ${ask.offset}${where}` };
}

function outsideBacklog(ask: PsyncAsk, masterOffset: number, window: BacklogWindow | null): Explanation {
  if (window) {
    const side = ask.offset < window.first ? `${window.first - ask.offset} bytes before its start` : `${ask.offset - window.last - 1} bytes past the master's offset`;
    return {
      code: 'outside-backlog',
      text: `offset outside the backlog: the replica asked for ${ask.offset}, the backlog holds ${window.first}..${window.last} (repl-backlog-size ${window.size}), ${side}`,
    };
  }
  return {
    code: 'outside-backlog',
    text: `offset outside the backlog: the replica asked for ${ask.offset}, the master is at ${masterOffset}`,
  };
}

function short(replid: string): string {
  return replid.length > 8 ? `${replid.slice(0, 8)}…` : replid;
}
