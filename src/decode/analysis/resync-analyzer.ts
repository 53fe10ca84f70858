// A pipeline stage: gives every +FULLRESYNC / +CONTINUE its reason (before any subscriber sees it) and flags a
// replica that full-syncs again and again. Replicas are recognised across reconnections by their IP and the
// port they announce (REPLCONF listening-port). Pure: events and INFO snapshots in, events out.

import type { ContinueEvent, FullResyncEvent, ReplEvent, ReplSink } from '../../core/events.js';
import { announcedPort, hostOf } from './listening-port.js';
import type { MasterReplInfo } from './master-info.js';
import { explainContinue, explainFullResync, type PsyncAsk } from './resync-reason.js';

/** Full syncs closer than this to the previous one continue a streak. */
export const LOOP_GAP_MS = 60_000;
/** A streak this long is a loop. */
export const LOOP_MIN_COUNT = 3;

interface LinkFacts {
  master: string;
  replica: string; // "ip:listening-port" once announced, else the socket address
  ask: PsyncAsk | null;
  phase: 'handshake' | 'rdb' | 'loaded-wait' | 'streaming';
  rdbSize: number | null;
  rdbBytes: number;
}

interface Attempt {
  link: number;
  reasonCode: string;
  outcome: string | null;
}

interface Streak {
  sinceAt: number;
  lastAt: number;
  attempts: Attempt[];
}

export class ResyncAnalyzer {
  private masters = new Map<string, MasterReplInfo>();
  /** master → the replids it answered PSYNCs with, oldest first (what the wire tells of its histories) */
  private answered = new Map<string, string[]>();
  private links = new Map<number, LinkFacts>();
  private fullSynced = new Set<string>();
  private streaks = new Map<string, Streak>();
  private attemptOf = new Map<number, Attempt>();

  /** The latest `INFO replication` of the server at `master` ("host:port" as the proxy dials it). */
  setMasterInfo(master: string, info: MasterReplInfo): void {
    this.masters.set(master, info);
  }

  /** Returns the event as it is to be published: for a PSYNC answer, a copy with its reason (the event given is
   *  never changed: it may be published already, or held elsewhere); events of its own go to `emit`. */
  observe(e: ReplEvent, emit: ReplSink): ReplEvent {
    const facts = this.links.get(e.link);
    switch (e.type) {
      case 'link-open':
        this.links.set(e.link, { master: e.master, replica: e.replica, ask: null, phase: 'handshake', rdbSize: null, rdbBytes: 0 });
        break;
      case 'replica-command': {
        const port = announcedPort(e.argv);
        if (facts && port) facts.replica = `${hostOf(facts.replica)}:${port}`;
        break;
      }
      case 'psync':
        if (facts) facts.ask = { replid: e.replid, offset: e.offset };
        break;
      case 'fullresync':
        return facts?.ask ? this.onFullResync(e, facts, emit) : e;
      case 'continue':
        return facts?.ask ? this.onContinue(e, facts) : e;
      case 'rdb-start':
        if (facts) Object.assign(facts, { phase: 'rdb', rdbSize: e.size, rdbBytes: 0 });
        break;
      case 'rdb-progress':
        if (facts) facts.rdbBytes = e.bytes;
        break;
      case 'rdb-end':
        if (facts) Object.assign(facts, { phase: 'loaded-wait', rdbBytes: e.bytes });
        break;
      case 'ack':
        if (facts) facts.phase = 'streaming';
        break;
      case 'link-close': {
        const attempt = this.attemptOf.get(e.link);
        if (attempt && facts) attempt.outcome = outcomeOf(facts, e.by);
        this.attemptOf.delete(e.link);
        this.links.delete(e.link);
        break;
      }
      default:
        break;
    }
    return e;
  }

  private onContinue(e: ContinueEvent, facts: LinkFacts): ContinueEvent {
    this.answeredWith(facts.master, e.replid ?? facts.ask!.replid);
    facts.phase = 'streaming';
    return { ...e, ...toFields(explainContinue(facts.ask!, { replid: e.replid }, this.masters.get(facts.master) ?? null)) };
  }

  private answeredWith(master: string, replid: string): void {
    const list = this.answered.get(master) ?? [];
    if (list.at(-1) === replid) return;
    list.push(replid);
    if (list.length > KEPT_REPLIDS) list.shift();
    this.answered.set(master, list);
  }

  private onFullResync(e: FullResyncEvent, facts: LinkFacts, emit: ReplSink): FullResyncEvent {
    const master = facts.master;
    const why = explainFullResync(facts.ask!, e, this.masters.get(master) ?? null, this.fullSynced.has(facts.replica), this.masters.get(facts.replica) ?? null, this.answered.get(master));
    this.answeredWith(master, e.replid);
    this.fullSynced.add(facts.replica);

    let streak = this.streaks.get(facts.replica);
    if (!streak || e.at - streak.lastAt > LOOP_GAP_MS) {
      streak = { sinceAt: e.at, lastAt: e.at, attempts: [] };
      this.streaks.set(facts.replica, streak);
    }
    streak.lastAt = e.at;
    const attempt: Attempt = { link: e.link, reasonCode: why.code, outcome: null };
    streak.attempts.push(attempt);
    this.attemptOf.set(e.link, attempt);
    if (streak.attempts.length >= LOOP_MIN_COUNT) {
      emit({ type: 'sync-loop', at: e.at, link: e.link, replica: facts.replica, count: streak.attempts.length, sinceAt: streak.sinceAt, pattern: patternOf(streak, e.at) });
    }
    return { ...e, ...toFields(why) };
  }
}

/** Bounded: a master changes history at each failover, a handful of times. */
const KEPT_REPLIDS = 16;

function toFields(why: { code: FullResyncEvent['reasonCode']; text: string }): { reason: string; reasonCode: FullResyncEvent['reasonCode'] } {
  return { reason: why.text, reasonCode: why.code };
}

function outcomeOf(facts: LinkFacts, by: string): string {
  switch (facts.phase) {
    case 'handshake':
      return `closed by ${by} before the RDB started`;
    case 'rdb': {
      const done = facts.rdbSize ? ` at ≥${Math.floor((100 * facts.rdbBytes) / facts.rdbSize)}%` : '';
      return `closed by ${by} during the RDB transfer${done}`;
    }
    case 'loaded-wait':
      return `closed by ${by} after the RDB, before the replica's first ACK`;
    case 'streaming':
      return `closed by ${by} while streaming`;
  }
}

/** e.g. "3 full syncs in 9.1s (replid-unknown, first-sync ×2); earlier attempts: closed by master during the RDB transfer ×2" */
function patternOf(streak: Streak, at: number): string {
  const seconds = ((at - streak.sinceAt) / 1000).toFixed(1);
  const reasons = countedList(streak.attempts.map((a) => a.reasonCode));
  const ended = countedList(streak.attempts.filter((a) => a.outcome !== null).map((a) => a.outcome!));
  return `${streak.attempts.length} full syncs in ${seconds}s (${reasons})${ended ? `; earlier attempts: ${ended}` : ''}`;
}

function countedList(items: string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, n]) => (n > 1 ? `${item} ×${n}` : item)).join(', ');
}
