import type { TopologyShard } from '../../core/cluster-topology.js';
import type { ResyncReasonCode } from '../../core/events.js';
import { hostOf } from '../../decode/analysis/listening-port.js';
import type { TuiState } from './state.js';
import { phaseOf, type ReplicaPhase, type ReplicaRecord, type SnapshotGroup } from './replica.js';

// The links view model: one row per replica, replicas fed from one snapshot listed together under
// their group; with several masters (one repl-spy in front of several servers) the replicas of each master under
// its name; in a cluster whose topology is known, under their shard (master, slots). Derived on demand from the records (a handful of replicas), never stored.

export type LinksItem =
  | { kind: 'master'; master: string; links: number }
  /** a cluster shard (from a cluster-topology event): its master and slots, then its master's replica links */
  | { kind: 'shard'; shard: TopologyShard; links: number }
  | { kind: 'group'; group: SnapshotGroup; size: number }
  | { kind: 'replica'; row: ReplicaRow; tag: string; inGroup: 'first' | 'middle' | 'last' | null };

export interface ReplicaRow {
  link: number;
  rdbLink: number | null;
  replicaAddr: string;
  announcedPort: string | null;
  phase: ReplicaPhase;
  /** "full", "partial" or "full, 2-channel", null before the master answered */
  outcome: string | null;
  reason: string | null;
  reasonCode: ResyncReasonCode | null;
  replid: string | null;
  /** master offset forwarded to the replica (last command), else the sync offset */
  offset: number | null;
  lagBytes: number | null;
  lagMs: number | null;
  /** ms without an ACK once the replica went silent (ack-silence), else null */
  ackSilentMs: number | null;
  rdb: RdbProgress | null;
  /** ms spent waiting for the snapshot so far (or in total), with the keepalives seen */
  waitMs: number | null;
  keepalives: number;
  /** full syncs in a row when the analyzer flagged a sync loop */
  loopCount: number | null;
  /** faults in force on the open link */
  frozen: boolean;
  delayMs: number;
  bandwidth: number | null;
  closeReason: string | null;
}

export interface RdbProgress {
  mode: 'disk' | 'diskless';
  bytes: number;
  size: number | null;
  /** 0..1 when the size is known */
  fraction: number | null;
  /** payload bytes per second from event times */
  bytesPerSec: number | null;
  done: boolean;
}

export function outcomeOf(r: ReplicaRecord): string | null {
  if (r.syncKind === null && r.twoChannel === null) return null;
  if (r.twoChannel !== null) return 'full, 2-channel';
  return r.syncKind;
}

export function rdbProgressOf(r: ReplicaRecord): RdbProgress | null {
  if (r.rdbStartAt === null || r.rdbMode === null) return null;
  const done = r.rdbEndAt !== null;
  const elapsedMs = (r.rdbBytesAt ?? r.rdbStartAt) - r.rdbStartAt;
  const bytesPerSec = done ? r.rdbBytesPerSec : elapsedMs > 0 ? (r.rdbBytes * 1000) / elapsedMs : null;
  const fraction = done ? 1 : r.rdbSize !== null && r.rdbSize > 0 ? r.rdbBytes / r.rdbSize : null;
  return { mode: r.rdbMode, bytes: r.rdbBytes, size: r.rdbSize, fraction, bytesPerSec, done };
}

export function replicaRow(r: ReplicaRecord, now: number): ReplicaRow {
  const waitEnd = r.rdbStartAt ?? (r.closeAt ?? now);
  const waitFrom = r.psyncAt ?? r.syncAt; // the replica waits from its PSYNC, as rdb-start's waitMs counts
  return {
    link: r.link,
    rdbLink: r.rdbLink,
    replicaAddr: r.replicaAddr,
    announcedPort: r.announcedPort,
    phase: phaseOf(r),
    outcome: outcomeOf(r),
    reason: r.syncReason,
    reasonCode: r.syncReasonCode,
    replid: r.replid,
    offset: r.masterOffset ?? r.syncOffset,
    lagBytes: r.lagBytes,
    lagMs: r.lagMs,
    ackSilentMs: r.ackSilentSince === null || r.closeAt !== null ? null : Math.max(0, now - r.ackSilentSince),
    rdb: rdbProgressOf(r),
    waitMs: r.rdbWaitMs ?? (waitFrom !== null && r.syncKind !== 'partial' ? waitEnd - waitFrom : null),
    keepalives: r.keepalives,
    loopCount: r.loop?.count ?? null,
    frozen: r.closeAt === null && r.frozen,
    delayMs: r.closeAt === null ? r.delayMs : 0,
    bandwidth: r.closeAt === null ? r.bandwidth : null,
    closeReason: r.closeReason,
  };
}

/** Replicas in display order: by master when there are several, grouped replicas together under their group, the
 *  rest by link number. */
export function linksItems(s: TuiState): LinksItem[] {
  const shards = s.topology?.shards ?? [];
  const inShard = new Map<TopologyShard, ReplicaRecord[]>(shards.map((sh) => [sh, []]));
  // a link belongs to the shard whose master it dials (the lab: the node's own address; else the announced one)
  const shardOf = new Map<string, TopologyShard>();
  for (const sh of shards) if (sh.master) shardOf.set(sh.master.server ?? sh.master.address, sh);
  const byMaster = new Map<string, ReplicaRecord[]>();
  for (const r of s.replicas.values()) {
    const shard = shardOf.get(r.masterAddr);
    if (shard) {
      inShard.get(shard)!.push(r);
      continue;
    }
    const list = byMaster.get(r.masterAddr);
    if (list) list.push(r);
    else byMaster.set(r.masterAddr, [r]);
  }
  const sharded = [...inShard].flatMap(([shard, records]): LinksItem[] => [{ kind: 'shard', shard, links: records.length }, ...snapshotItems(s, records)]);
  if (shards.length === 0 && byMaster.size < 2) return snapshotItems(s, [...s.replicas.values()]);
  return sharded.concat([...byMaster].flatMap(([master, records]) => [{ kind: 'master' as const, master, links: records.length }, ...snapshotItems(s, records)]));
}

function snapshotItems(s: TuiState, records: ReplicaRecord[]): LinksItem[] {
  const items: LinksItem[] = [];
  const shown = new Set<SnapshotGroup>();
  for (const r of records) {
    const g = r.group;
    const members = g ? g.links.map((l) => s.replicas.get(l)).filter((m): m is ReplicaRecord => m !== undefined) : [];
    if (!g || members.length < 2) {
      items.push({ kind: 'replica', row: replicaRow(r, s.now), tag: replicaTag(s, r), inGroup: null });
      continue;
    }
    if (shown.has(g)) continue;
    shown.add(g);
    items.push({ kind: 'group', group: g, size: members.length });
    members.forEach((m, i) => {
      const inGroup = i === members.length - 1 ? 'last' : i === 0 ? 'first' : 'middle';
      items.push({ kind: 'replica', row: replicaRow(m, s.now), tag: replicaTag(s, m), inGroup });
    });
  }
  return items;
}

/** How the screen names a replica: `#N` with the number the lab gave it (what its replica=N means), else `#link`;
 *  `+` marks a paired RDB channel. */
export function replicaTag(s: TuiState, r: ReplicaRecord): string {
  const n = r.announcedPort === null ? null : (s.replicaNumber?.(r.announcedPort) ?? null);
  return `#${n ?? r.link}${r.rdbLink !== null ? '+' : ''}`;
}

/** Replicas, not connections: a replica known by its address and announced port counts once however often it
 *  reconnected; one whose port is not known yet counts as its link. */
export function replicaCount(s: TuiState): number {
  const seen = new Set<string>();
  for (const r of s.replicas.values()) seen.add(r.announcedPort === null ? `link ${r.link}` : `${hostOf(r.replicaAddr)}:${r.announcedPort}`);
  return seen.size;
}

/** Main links in display order (what the selection moves over). */
export function linkOrder(s: TuiState): number[] {
  const out: number[] = [];
  for (const it of linksItems(s)) if (it.kind === 'replica') out.push(it.row.link);
  return out;
}
