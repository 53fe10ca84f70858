// Glyphs: block elements and heavy box lines only. blessed turns the light box-drawing set (and ·) into
// the terminal's alternate character set, which screen scrapers and some terminals show as letters.
import { slotRangesText, type TopologyNode, type TopologyShard } from '../../core/cluster-topology.js';
import type { ResyncReasonCode } from '../../core/events.js';
import type { LinksItem, ReplicaRow } from '../model/links.js';
import { progressBar } from './bar.js';
import { fit, shortId, spread, truncate } from './text.js';
import { formatByteRate, formatBytes, formatDuration } from './units.js';

// The links view: two lines per replica (identity and state; offsets, lag and RDB progress), grouped
// replicas framed under a "N replicas, 1 BGSAVE" header, each master's under a "master host:port" line when there
// are several, each cluster shard's under a "shard <slots>  master ..." line when the topology is known.

const ADDR = 21;

const SHORT_REASONS: Record<ResyncReasonCode, string> = {
  'first-sync': 'first sync',
  'full-sync-requested': 'requested by replica',
  'replid-unknown': 'replid unknown',
  'past-failover-point': 'past failover point',
  'outside-backlog': 'outside backlog',
  'forced-full-sync': 'forced',
  'within-backlog': 'within backlog',
  'failover-new-replid': 'new replid (failover)',
  undetermined: 'reason unknown',
};

/** `numbered`: the first column is the lab's replica number, not the link id. */
export function linksHeader(width: number, numbered: boolean): string {
  return fit(`  ${fit(numbered ? '#' : 'LINK', 4)} ${fit('REPLICA', ADDR)} ${fit('PORT', 6)} ${fit('STATE', 10)} SYNC`, width);
}

export interface LinksLines {
  lines: string[];
  /** index in `lines` of each replica's first line, by main link */
  firstLine: Map<number, number>;
}

export function linksLines(items: LinksItem[], width: number): LinksLines {
  const lines: string[] = [];
  const firstLine = new Map<number, number>();
  for (const it of items) {
    if (it.kind === 'shard') {
      lines.push(shardLine(it.shard, it.links, width));
      continue;
    }
    if (it.kind === 'master') {
      lines.push(fit(`master ${it.master}  ${it.links} link${it.links === 1 ? '' : 's'}`, width));
      continue;
    }
    if (it.kind === 'group') {
      const g = it.group;
      lines.push(fit(`┏ ${it.size} replicas, 1 BGSAVE, replid ${shortId(g.replid)} offset ${g.offset}`, width));
      continue;
    }
    const [p1, p2] = it.inGroup === null ? ['  ', '  '] : it.inGroup === 'last' ? ['┃ ', '┗ '] : ['┃ ', '┃ '];
    firstLine.set(it.row.link, lines.length);
    lines.push(...replicaLines(it.row, it.tag, width, p1, p2));
  }
  return { lines, firstLine };
}

/** "shard 0-5460  master master-1 127.0.0.1:43543  replicas replica-1-1 (loading)  1 link": what the cluster says
 *  of the shard; the links below it say how its replicas sync and lag. */
export function shardLine(shard: TopologyShard, links: number, width: number): string {
  const node = (n: TopologyNode): string => `${n.name ? `${n.name} ` : ''}${n.address}${n.health === 'online' ? '' : ` (${n.health})`}`;
  const replicas = shard.replicas.length ? `  replicas ${shard.replicas.map((r) => (r.name ?? r.address) + (r.health === 'online' ? '' : ` (${r.health})`)).join(', ')}` : '';
  const right = `${links} link${links === 1 ? '' : 's'}`;
  return fit(spread(`shard ${slotRangesText(shard.slots)}  master ${shard.master ? node(shard.master) : 'none'}${replicas}`, right, width), width);
}

export function replicaLines(row: ReplicaRow, tag: string, width: number, prefix1 = '  ', prefix2 = '  '): [string, string] {
  const port = row.announcedPort ? `:${row.announcedPort}` : '-';
  // the reason's short form fits the row; the detail has the sentence
  const sync = row.outcome === null ? '-' : row.reasonCode ? `${row.outcome}: ${SHORT_REASONS[row.reasonCode]}` : row.outcome;
  const flags = flagsText(row);
  const line1 = `${prefix1}${fit(tag, 4)} ${fit(row.replicaAddr, ADDR)} ${fit(port, 6)} ${fit(row.phase, 10)} ${flags ? flags + '  ' : ''}${sync}`;
  const lag = row.lagBytes === null ? 'lag -' : `lag ${formatBytes(row.lagBytes)} ${formatDuration(row.lagMs)}`;
  const left = `replid ${shortId(row.replid)}  off ${row.offset ?? '-'}  ${lag}`;
  const indent = `${prefix2}     `;
  // A closed link says why it closed (a cut, the master, the replica) rather than its old RDB progress.
  const right = row.phase === 'closed' && row.closeReason ? truncate(`closed by ${row.closeReason}`, 50) : rdbText(row, width);
  const line2 = indent + spread(left, right, width - indent.length);
  return [fit(line1, width), fit(line2, width)];
}

/** What needs attention before the sync outcome: a sync loop, a replica that stopped acknowledging, and the
 *  faults in force on the link. */
export function flagsText(row: ReplicaRow): string {
  const flags: string[] = [];
  if (row.loopCount !== null) flags.push(`LOOP x${row.loopCount}`);
  if (row.ackSilentMs !== null) flags.push(`NO ACK ${formatDuration(row.ackSilentMs)}`);
  if (row.frozen) flags.push('FROZEN');
  if (row.delayMs > 0) flags.push(`delay ${formatDuration(row.delayMs)}`);
  if (row.bandwidth !== null) flags.push(`bw ${formatByteRate(row.bandwidth)}`);
  return flags.join(' ');
}

/** RDB progress: bar, percent and rate when the size is known, bytes and rate when diskless. */
export function rdbText(row: ReplicaRow, width: number): string {
  const rdb = row.rdb;
  if (rdb === null) {
    if (row.phase === 'waiting' && row.waitMs !== null) {
      return `waiting ${formatDuration(row.waitMs)}, ${row.keepalives} keepalive${row.keepalives === 1 ? '' : 's'}`;
    }
    return row.outcome === 'partial' ? 'no RDB' : '';
  }
  // No rate when the whole RDB arrived at one instant (a single read): nothing to divide by.
  const rate = rdb.bytesPerSec === null ? '' : formatByteRate(rdb.bytesPerSec);
  if (rdb.fraction !== null) {
    const pct = `${Math.floor(rdb.fraction * 100)}%`.padStart(4);
    return `RDB ${progressBar(rdb.fraction, width >= 110 ? 20 : 10)} ${pct} ${rate}`.trimEnd();
  }
  return truncate(['RDB', formatBytes(rdb.bytes), rdb.mode === 'diskless' ? 'diskless' : '', rate].filter(Boolean).join(' '), 40);
}
