import { tlsText } from '../../core/tls-text.js';
import type { ReplicaRecord } from '../model/replica.js';
import { replicaRow, outcomeOf } from '../model/links.js';
import { syncTimeline } from '../model/timeline.js';
import { commandHeader, commandRow } from './command-row.js';
import { flagsText, rdbText } from './links-view.js';
import { fixed, type Segment } from './lines.js';
import { waterfallBar } from './bar.js';
import { fit, fitRight, shortId, spread, wrap } from './text.js';
import { formatBytes, formatClock, formatDuration } from './units.js';

// The link detail: who the replica is, its sync as a waterfall, the handshake exchange, RDB facts, and the
// tail of its command stream (built only for the rows on screen).

export function detailSegments(r: ReplicaRecord, tag: string, now: number, width: number): Segment[] {
  const row = replicaRow(r, now);
  const port = r.announcedPort ? ` (listening-port ${r.announcedPort})` : '';
  const link = tag.startsWith(`#${r.link}`) ? '' : ` on link #${r.link}`;
  const head = [
    fit(`${tag} replica ${r.replicaAddr}${port}${link} → master ${r.masterAddr}`, width),
    ...(r.tls ? wrap(tlsText(r.tls), width, '    ') : []),
    fit(
      `state ${row.phase}  sync ${outcomeOf(r) ?? '-'}` +
        (r.rdbLink !== null ? `  rdb channel #${r.rdbLink} (${r.twoChannel ?? 'paired'})` : ''),
      width,
    ),
    ...(r.syncReason ? wrap(`reason ${r.syncReason}`, width, '       ') : []),
    fit(`replid ${r.replid ?? '-'}`, width),
    fit(
      `offset ${row.offset ?? '-'}  acked ${r.ackOffset ?? '-'}  lag ${r.lagBytes === null ? '-' : formatBytes(r.lagBytes)}` +
        ` ${r.lagMs === null ? '' : formatDuration(r.lagMs)}` +
        (row.ackSilentMs !== null ? `  NO ACK for ${formatDuration(row.ackSilentMs)}` : '') +
        (r.psyncAsk ? `  asked PSYNC ${shortId(r.psyncAsk.replid)} ${r.psyncAsk.offset}` : ''),
      width,
    ),
  ];
  if (r.closeAt !== null) head.push(fit(`closed by ${r.closeReason ?? '?'}`, width));
  if (r.violations > 0) head.push(fit(`${r.violations} protocol violation(s); last: ${r.lastViolation}`, width));
  if (r.gapBytes > 0) head.push(fit(`${formatBytes(r.gapBytes)} not seen (gaps)`, width));
  if (r.captureLosing) head.push(fit(`CAPTURE LOSING DATA (${r.captureLosing})`, width));
  if (r.captureLostBytes > 0) head.push(fit(`${formatBytes(r.captureLostBytes)} not in the capture (recorded as gaps)`, width));
  if (r.loop) {
    head.push(...wrap(`SYNC LOOP x${r.loop.count} since ${formatClock(r.loop.sinceAt)}: ${r.loop.pattern}`, width, '  '));
  }
  const flags = flagsText({ ...row, loopCount: null, ackSilentMs: null });
  if (flags) head.push(fit(`in force: ${flags}`, width));
  if (r.lastFault) head.push(fit(`last fault: ${r.lastFault}`, width));
  head.push(fit('', width));

  const segments: Segment[] = [fixed(head), fixed(timelineLines(r, now, width))];
  segments.push(fixed(handshakeLines(r, width)));
  segments.push(fixed(rdbLines(r, now, width)));
  segments.push(fixed([fit(`COMMANDS  last ${r.commands.size} of ${r.commands.total}, newest first`, width), commandHeader(width, false)]));
  segments.push({ count: r.commands.size, line: (i) => commandRow(r.commands.fromNewest(i)!, width, false) });
  return segments;
}

export function timelineLines(r: ReplicaRecord, now: number, width: number): string[] {
  const phases = syncTimeline(r, now);
  const t0 = phases[0].startAt;
  const total = phases[phases.length - 1].endAt - t0;
  const labelW = 19;
  const durW = 10;
  const noteW = Math.min(24, Math.max(0, width - labelW - durW - 20));
  const barW = Math.max(10, width - labelW - durW - noteW - 3);
  const lines = [fit(spread('SYNC TIMELINE', `total ${formatDuration(total)}`, labelW + barW + durW + 2), width)];
  for (const p of phases) {
    const bar = waterfallBar(p.startAt - t0, p.endAt - t0, total, barW);
    const dur = formatDuration(p.endAt - p.startAt) + (p.ongoing ? '…' : '');
    lines.push(fit(`${fit(p.name, labelW)}${bar} ${fitRight(dur, durW)} ${p.note ?? ''}`, width));
  }
  lines.push(fit('', width));
  return lines;
}

export function handshakeLines(r: ReplicaRecord, width: number): string[] {
  const lines = [fit('HANDSHAKE', width)];
  for (const h of r.handshake) {
    const dir = h.from === 'replica' ? 'replica →' : '← master ';
    const ch = h.channel === 'rdb' ? 'rdb ' : '';
    lines.push(fit(`${fitRight('+' + formatDuration(h.at - r.openAt), 10)} ${ch}${dir} ${h.text}`, width));
  }
  if (r.handshake.length === 0) lines.push(fit('  (nothing seen)', width));
  lines.push(fit('', width));
  return lines;
}

export function rdbLines(r: ReplicaRecord, now: number, width: number): string[] {
  const lines = [fit(spread('RDB', rdbText(replicaRow(r, now), width), width), width)];
  const size = r.rdbSize !== null ? formatBytes(r.rdbSize) : r.rdbMode === 'diskless' ? 'unknown (diskless)' : '-';
  lines.push(
    fit(
      `mode ${r.rdbMode ?? '-'}  size ${size}  received ${formatBytes(r.rdbBytes)}` +
        (r.rdbDurationMs !== null ? ` in ${formatDuration(r.rdbDurationMs)}` : ''),
      width,
    ),
  );
  // Facts two per line when the screen is wide enough.
  const cell = width >= 100 ? Math.floor(width / 2) : width;
  for (let i = 0; i < r.rdbFacts.length; ) {
    let line = '';
    while (i < r.rdbFacts.length && line.length + cell <= width) {
      const [k, v] = r.rdbFacts[i++];
      line += fit(`  ${k} ${v}`, cell);
    }
    lines.push(fit(line, width));
  }
  lines.push(fit('', width));
  return lines;
}
