// Decoded events in, the incident report's model out: every link's sync as phases on one time axis, the snapshots
// shared by several replicas, each replica's lag over time with its ACK silences, what the masters wrote, the RDB
// summaries and what could not be decoded. Pure and bounded: O(1) per command, series in fixed buckets, lists
// capped (what is left out is counted), so a capture of any length makes a report of the same size.
// The link facts come from the TUI's model (the same reducer and phases as the link detail).
import { hostOf } from '../decode/analysis/listening-port.js';
import type { ReplEvent } from '../core/events.js';
import { outcomeOf } from '../tui/model/links.js';
import { faultText, type ReplicaRecord } from '../tui/model/replica.js';
import { apply, createTuiState, type TuiState } from '../tui/model/state.js';
import { syncTimeline } from '../tui/model/timeline.js';
import { CommandStats, type CommandStatsView, type StreamCursor } from './command-stats.js';
import { TimeBuckets } from './time-buckets.js';

/** Links drawn (the most recent closed ones are kept, as on the TUI's links view). */
export const MAX_LINKS = 500;
/** Replicas whose lag is drawn over time. */
export const MAX_LAG_REPLICAS = 32;
/** Per link: faults, silences and problem markers kept. */
const MAX_MARKS_PER_LINK = 50;
/** Problems listed (all are counted). */
const MAX_PROBLEMS = 200;
const MAX_RDBS = 20;

export type PhaseName = ReturnType<typeof syncTimeline>[number]['name'] | 'streaming';

export interface Phase {
  name: PhaseName;
  startAt: number;
  endAt: number;
}

export interface Mark {
  at: number;
  kind: 'fault' | 'violation' | 'gap' | 'resync' | 'capture-loss';
  text: string;
}

export interface Silence {
  /** the last ACK before it */
  fromAt: number;
  /** the next ACK, or the link's end */
  toAt: number;
  ended: boolean;
}

export interface LinkRow {
  link: number;
  rdbLink: number | null;
  /** "ip:announced-port", as INFO replication names the replica (the socket address until it announced one) */
  replica: string;
  replicaAddr: string;
  master: string;
  openAt: number;
  closeAt: number | null;
  closeReason: string | null;
  /** "full", "partial", "full, 2-channel", or null when the master never answered */
  sync: string | null;
  reason: string | null;
  reasonCode: string | null;
  phases: Phase[];
  marks: Mark[];
  silences: Silence[];
  rdb: { mode: string; bytes: number; size: number | null; waitMs: number | null; durationMs: number | null; bytesPerSec: number | null } | null;
  loadMs: number | null;
  /** propagated commands on this link */
  commands: number;
  snapshot: number | null;
  loop: string | null;
}

export interface SnapshotBar {
  snapshot: number;
  links: number[];
  replid: string;
  offset: number;
  /** first PSYNC of its members to the first RDB byte: the BGSAVE (or fork) they all waited for */
  startAt: number;
  endAt: number;
}

export interface ReplicaLag {
  replica: string;
  links: number[];
  maxLagMs: number;
  maxLagBytes: number;
  silences: number;
  longestSilenceMs: number;
  /** its series in ReportModel.lagSeries are `${seriesKey}|ms` and `${seriesKey}|bytes`; null: not drawn (past
   *  MAX_LAG_REPLICAS) */
  seriesKey: string | null;
}

export interface RdbReport {
  /** links that received this snapshot */
  links: number[];
  at: number;
  info: Record<string, unknown>;
}

export interface Problems {
  violations: { at: number; link: number; from: string; code: string; pos: number; offset: number | null; message: string; excerptHex: string }[];
  gaps: { at: number; link: number; from: string; bytes: number; offset: number | null; reason: string }[];
  resyncs: { at: number; link: number; from: string; pos: number; skipped: number }[];
  captureLosses: { at: number; link: number; from: string; pos: number; bytes: number; sinceAt: number; untilAt: number; reason: string; state: string }[];
  rdbErrors: { at: number; link: number; info: Record<string, unknown> }[];
  /** counts, including those not listed */
  counts: { violations: number; gaps: number; gapBytes: number; resyncs: number; captureLosses: number; rdbErrors: number };
}

export interface ReportModel {
  title: string;
  source: string;
  startAt: number;
  endAt: number;
  links: LinkRow[];
  /** links seen but not drawn (beyond MAX_LINKS) */
  linksOmitted: number;
  linksSeen: number;
  snapshots: SnapshotBar[];
  replicas: ReplicaLag[];
  /** lag series of the drawn replicas (max per bucket) */
  lagSeries: TimeBuckets;
  commands: CommandStatsView;
  /** the RDB of a cluster node (SLOT_INFO in an RDB): the slot table is shown open */
  cluster: boolean;
  rdbs: RdbReport[];
  /** distinct snapshots beyond the listed ones */
  rdbsOmitted: number;
  problems: Problems;
  syncs: { full: number; partial: number; loops: number; faults: number };
}

interface LinkExtras {
  marks: Mark[];
  silences: Silence[];
  silentFrom: number | null;
  commands: number;
  /** replication offset after the last command: where a gap or violation happened in the stream */
  offset: number | null;
}

export interface ReportSource {
  title: string;
  /** what the events come from, e.g. "capture captures/x.rspy, recorded 2025-01-01T00:00:00Z from lab" */
  source: string;
}

export class ReportBuilder {
  private readonly state: TuiState = createTuiState({ closedReplicas: MAX_LINKS, perLinkCommands: 1, commands: 1 });
  private readonly extras = new Map<number, LinkExtras>();
  private readonly snapshots = new Map<number, { links: number[]; replid: string; offset: number }>();
  private readonly lag = new TimeBuckets('max', 480, 1000, MAX_LAG_REPLICAS * 2);
  private readonly replicas = new Map<string, ReplicaLag>();
  private readonly commands = new CommandStats();
  /** per link, what its commands update (looked up once, not per command) */
  private readonly commandContext = new Map<number, { record: ReplicaRecord | undefined; replid: string | null; extras: LinkExtras | undefined; stream: StreamCursor }>();
  private readonly rdbs: RdbReport[] = [];
  private rdbsOmitted = 0;
  private cluster = false;
  private readonly problems: Problems = {
    violations: [],
    gaps: [],
    resyncs: [],
    captureLosses: [],
    rdbErrors: [],
    counts: { violations: 0, gaps: 0, gapBytes: 0, resyncs: 0, captureLosses: 0, rdbErrors: 0 },
  };
  private readonly syncs = { full: 0, partial: 0, loops: 0, faults: 0 };
  private readonly linksSeen = new Set<number>();
  private firstAt: number | null = null;
  private lastAt = 0;

  constructor(private readonly source: ReportSource) {}

  observe(e: ReplEvent): void {
    if (e.at > this.lastAt) this.lastAt = e.at;
    this.firstAt ??= e.at;
    if (e.type === 'command') return this.onCommand(e);
    apply(this.state, e);
    if (e.type === 'link-pair' || e.type === 'link-open' || e.type === 'link-close') this.commandContext.clear();
    const r = this.state.owner.get(e.link);
    switch (e.type) {
      case 'link-open':
        this.linksSeen.add(e.link);
        return;
      case 'fullresync':
      case 'endoff':
        this.syncs.full++;
        return;
      case 'continue':
        if (r && outcomeOf(r) === 'partial') this.syncs.partial++;
        return;
      case 'shared-snapshot':
        this.snapshots.set(e.snapshot, { links: e.links, replid: e.replid, offset: e.offset });
        if (this.snapshots.size > MAX_LINKS) this.snapshots.delete(this.snapshots.keys().next().value!);
        return;
      case 'ack':
      case 'lag':
      case 'ack-resumed':
      case 'ack-silence':
        return this.onLag(e, r);
      case 'fault':
        this.syncs.faults++;
        return this.mark(e.link, e.at, 'fault', faultText(e.fault, e.detail));
      case 'sync-loop':
        this.syncs.loops++;
        return;
      case 'protocol-violation': {
        const count = this.problems.counts;
        count.violations++;
        const offset = this.extrasOf(e.link)?.offset ?? null;
        if (this.problems.violations.length < MAX_PROBLEMS) {
          this.problems.violations.push({ at: e.at, link: e.link, from: e.from, code: e.code, pos: e.pos, offset, message: e.message, excerptHex: e.excerptHex });
        }
        return this.mark(e.link, e.at, 'violation', `${e.code} at ${e.from} byte ${e.pos}`);
      }
      case 'gap': {
        const count = this.problems.counts;
        count.gaps++;
        count.gapBytes += e.bytes;
        const offset = this.extrasOf(e.link)?.offset ?? null;
        if (this.problems.gaps.length < MAX_PROBLEMS) this.problems.gaps.push({ at: e.at, link: e.link, from: e.from, bytes: e.bytes, offset, reason: e.reason });
        return this.mark(e.link, e.at, 'gap', `${e.bytes} bytes from the ${e.from} missing (${e.reason})`);
      }
      case 'resync':
        this.problems.counts.resyncs++;
        if (this.problems.resyncs.length < MAX_PROBLEMS) this.problems.resyncs.push({ at: e.at, link: e.link, from: e.from, pos: e.pos, skipped: e.skipped });
        return this.mark(e.link, e.at, 'resync', `decoding resumed at ${e.from} byte ${e.pos}`);
      case 'capture-loss':
        if (e.state === 'started') return;
        this.problems.counts.captureLosses++;
        if (this.problems.captureLosses.length < MAX_PROBLEMS) {
          const { at, link, from, pos, bytes, sinceAt, untilAt, reason, state } = e;
          this.problems.captureLosses.push({ at, link, from, pos, bytes, sinceAt, untilAt, reason, state });
        }
        return this.mark(e.link, e.sinceAt, 'capture-loss', `${e.bytes} bytes not in the capture (${e.reason})`);
      case 'rdb-info':
        return this.onRdbInfo(e.link, e.at, e.phase, e.info);
      case 'link-close': {
        const x = this.extras.get(r?.link ?? e.link);
        if (x && x.silentFrom !== null && r?.link === e.link) this.endSilence(x, e.at, false);
        // forget what the TUI's model forgot (its oldest closed links)
        for (const link of this.extras.keys()) if (!this.state.replicas.has(link)) this.extras.delete(link);
        return;
      }
      default:
        return;
    }
  }

  build(endAt = this.lastAt): ReportModel {
    const startAt = this.firstAt ?? endAt;
    const shown = [...this.state.replicas.values()];
    const rows = orderBySnapshot(shown.map((r) => this.row(r, endAt)));
    const snapshots: SnapshotBar[] = [];
    for (const [snapshot, s] of this.snapshots) {
      const members = rows.filter((row) => row.snapshot === snapshot);
      if (members.length < 2) continue;
      const waits = members.flatMap((m) => m.phases.filter((p) => p.name === 'waiting for BGSAVE' || p.name === 'waiting for the fork'));
      if (waits.length === 0) continue;
      snapshots.push({
        snapshot,
        links: members.map((m) => m.link),
        replid: s.replid,
        offset: s.offset,
        startAt: Math.min(...waits.map((p) => p.startAt)),
        endAt: Math.max(...waits.map((p) => p.endAt)),
      });
    }
    const problems = { ...this.problems, rdbErrors: [...this.problems.rdbErrors] };
    return {
      title: this.source.title,
      source: this.source.source,
      startAt,
      endAt: Math.max(endAt, startAt),
      links: rows,
      linksOmitted: this.linksSeen.size - rows.length,
      linksSeen: this.linksSeen.size,
      snapshots,
      replicas: [...this.replicas.values()].map((x) => ({ ...x, links: [...x.links] })),
      lagSeries: this.lag,
      commands: this.commands.view(),
      cluster: this.cluster,
      rdbs: this.rdbs.map((x) => ({ ...x, links: [...x.links] })),
      rdbsOmitted: this.rdbsOmitted,
      problems,
      syncs: { ...this.syncs },
    };
  }

  private onCommand(e: Extract<ReplEvent, { type: 'command' }>): void {
    let ctx = this.commandContext.get(e.link);
    if (!ctx || (ctx.record && ctx.record.replid !== ctx.replid)) {
      const record = this.state.owner.get(e.link);
      const replid = record?.replid ?? null;
      // the replicas of one master receive one stream, of the master's replid
      ctx = { record, replid, extras: this.extrasOf(e.link), stream: this.commands.stream(record ? `${record.masterAddr} ${replid ?? '?'}` : `link ${e.link}`) };
      this.commandContext.set(e.link, ctx);
    }
    if (ctx.extras) {
      ctx.extras.commands++;
      ctx.extras.offset = e.offset;
    }
    this.commands.add(e, ctx.stream);
  }

  private onLag(e: Extract<ReplEvent, { type: 'ack' | 'lag' | 'ack-resumed' | 'ack-silence' }>, r: ReplicaRecord | undefined): void {
    if (!r) return;
    const name = replicaName(r);
    let lag = this.replicas.get(name);
    if (!lag) {
      const seriesKey = this.replicas.size < MAX_LAG_REPLICAS ? String(this.replicas.size) : null;
      lag = { replica: name, links: [], maxLagMs: 0, maxLagBytes: 0, silences: 0, longestSilenceMs: 0, seriesKey };
      this.replicas.set(name, lag);
    }
    if (!lag.links.includes(r.link) && lag.links.length < MAX_MARKS_PER_LINK) lag.links.push(r.link);
    lag.maxLagMs = Math.max(lag.maxLagMs, e.lagMs);
    lag.maxLagBytes = Math.max(lag.maxLagBytes, e.lagBytes);
    if (lag.seriesKey !== null) {
      this.lag.add(`${lag.seriesKey}|ms`, e.at, e.lagMs);
      this.lag.add(`${lag.seriesKey}|bytes`, e.at, e.lagBytes);
    }
    const x = this.extrasOf(e.link);
    if (!x) return;
    if (e.type === 'ack-silence') {
      lag.silences++;
      x.silentFrom = e.lastAckAt;
    } else if (e.type === 'ack-resumed' && x.silentFrom !== null) {
      lag.longestSilenceMs = Math.max(lag.longestSilenceMs, e.silentMs);
      this.endSilence(x, e.at, true);
    }
  }

  private endSilence(x: LinkExtras, at: number, ended: boolean): void {
    if (x.silentFrom === null) return;
    if (x.silences.length < MAX_MARKS_PER_LINK) x.silences.push({ fromAt: x.silentFrom, toAt: at, ended });
    x.silentFrom = null;
  }

  private onRdbInfo(link: number, at: number, phase: string, info: Record<string, unknown>): void {
    if (phase === 'error') {
      this.problems.counts.rdbErrors++;
      if (this.problems.rdbErrors.length < MAX_PROBLEMS) this.problems.rdbErrors.push({ at, link, info });
      return;
    }
    if (phase !== 'summary') return;
    const opcodes = info.opcodes as Record<string, number> | undefined;
    if (opcodes?.SLOT_INFO) this.cluster = true;
    // one snapshot sent to several replicas is one summary
    const same = this.rdbs.find((x) => sameSnapshot(x.info, info));
    if (same) {
      if (!same.links.includes(link)) same.links.push(link);
    } else if (this.rdbs.length < MAX_RDBS) {
      this.rdbs.push({ links: [link], at, info });
    } else {
      this.rdbsOmitted++;
    }
  }

  private mark(link: number, at: number, kind: Mark['kind'], text: string): void {
    const x = this.extrasOf(link);
    if (x && x.marks.length < MAX_MARKS_PER_LINK) x.marks.push({ at, kind, text });
  }

  /** The extras of the record that owns this link (an RDB channel's belong to its main channel). */
  private extrasOf(link: number): LinkExtras | undefined {
    const r = this.state.owner.get(link);
    if (!r) return undefined;
    let x = this.extras.get(r.link);
    if (!x) {
      x = { marks: [], silences: [], silentFrom: null, commands: 0, offset: null };
      this.extras.set(r.link, x);
    }
    return x;
  }

  private row(r: ReplicaRecord, endAt: number): LinkRow {
    const x = this.extrasOf(r.link)!;
    const closeAt = r.closeAt ?? endAt;
    const phases: Phase[] = [];
    for (const { name, startAt, endAt: end } of syncTimeline(r, endAt)) {
      // the stream flows from +CONTINUE on, before the first ACK starts the catch-up
      const previous = phases.at(-1);
      if (previous && previous.endAt < startAt) phases.push({ name: 'streaming', startAt: previous.endAt, endAt: startAt });
      phases.push({ name, startAt, endAt: end });
    }
    const last = phases.at(-1);
    // after the sync: the stream, until the link closed (or the report ends)
    if (last && (last.name === 'catch-up' || (r.syncKind === 'partial' && last.name === 'handshake')) && last.endAt < closeAt) {
      phases.push({ name: 'streaming', startAt: last.endAt, endAt: closeAt });
    }
    const silences = [...x.silences];
    if (x.silentFrom !== null) silences.push({ fromAt: x.silentFrom, toAt: closeAt, ended: false });
    const snapshot = [...this.snapshots.entries()].find(([, s]) => s.links.length > 1 && s.links.some((l) => l === r.link || l === r.rdbLink))?.[0] ?? null;
    return {
      link: r.link,
      rdbLink: r.rdbLink,
      replica: replicaName(r),
      replicaAddr: r.replicaAddr,
      master: r.masterAddr,
      openAt: r.openAt,
      closeAt: r.closeAt,
      closeReason: r.closeReason,
      sync: outcomeOf(r),
      reason: r.syncReason,
      reasonCode: r.syncReasonCode,
      phases,
      marks: [...x.marks],
      silences,
      rdb: r.rdbMode === null ? null : { mode: r.rdbMode, bytes: r.rdbBytes, size: r.rdbSize, waitMs: r.rdbWaitMs, durationMs: r.rdbDurationMs, bytesPerSec: r.rdbBytesPerSec },
      loadMs: r.loadMs,
      commands: x.commands,
      snapshot,
      loop: r.loop ? `${r.loop.count} full syncs since ${new Date(r.loop.sinceAt).toISOString()}: ${r.loop.pattern}` : null,
    };
  }
}

/** How INFO replication names a replica: its ip and announced port. */
function replicaName(r: ReplicaRecord): string {
  return r.announcedPort === null ? r.replicaAddr : `${hostOf(r.replicaAddr)}:${r.announcedPort}`;
}

/** Links in order, the members of a shared snapshot together where its first member is. */
function orderBySnapshot(rows: LinkRow[]): LinkRow[] {
  const sorted = [...rows].sort((a, b) => a.link - b.link);
  const out: LinkRow[] = [];
  const placed = new Set<LinkRow>();
  for (const row of sorted) {
    if (placed.has(row)) continue;
    const members = row.snapshot === null ? [row] : sorted.filter((m) => m.snapshot === row.snapshot);
    for (const m of members) {
      out.push(m);
      placed.add(m);
    }
  }
  return out;
}

function sameSnapshot(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return a.replId === b.replId && a.replOffset === b.replOffset && a.bytes === b.bytes && (a.computedCrc ?? a.checksum) === (b.computedCrc ?? b.checksum) && a.keys === b.keys;
}
