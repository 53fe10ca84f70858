// The timeline of every link: one row per link with its sync phases, the ACK silences under them, its faults,
// problems and close; a snapshot several replicas shared is one bar across their rows (one BGSAVE or fork for
// all of them, the seed's experiment at a glance). Hovering shows the facts as SVG titles; the tables say the same.
import { formatDuration } from '../tui/format/units.js';
import type { LinkRow, Mark, PhaseName, ReportModel, SnapshotBar } from './report-model.js';
import { esc, n, timeTicks, utcClock, xOf, type TimeAxis } from './svg.js';

export const PHASE_COLORS: Record<PhaseName, string> = {
  handshake: '#bab0ac',
  'waiting for BGSAVE': '#edc948',
  'waiting for the fork': '#edc948',
  'RDB transfer': '#4e79a7',
  'replica load': '#b07aa1',
  'catch-up': '#76b7b2',
  streaming: '#59a14f',
};
const MARK_GLYPHS: Record<Mark['kind'], { color: string; shape: 'triangle' | 'diamond' | 'square' | 'circle' }> = {
  fault: { color: '#e15759', shape: 'triangle' },
  violation: { color: '#000000', shape: 'diamond' },
  gap: { color: '#9c755f', shape: 'square' },
  resync: { color: '#4e79a7', shape: 'circle' },
  'capture-loss': { color: '#f28e2b', shape: 'square' },
};

const WIDTH = 1200;
const LABEL_WIDTH = 330;
const ROW = 28;
const TOP = 8;

/** Close-ups drawn at most (the syncs of a sync loop would be hundreds). */
export const MAX_CLOSE_UPS = 12;

/** The links as rows on one time axis from `startAt` to `endAt` (later phases are cut at its right edge). */
export function timelineSvg(links: LinkRow[], snapshots: SnapshotBar[], startAt: number, endAt: number, cls = 'timeline'): string {
  const axis: TimeAxis = { startAt, endAt, left: LABEL_WIDTH, width: WIDTH - LABEL_WIDTH - 16 };
  const rowOf = new Map(links.map((row, i) => [row.link, i]));
  const bars = snapshots.filter((s) => s.links.every((l) => rowOf.has(l)));
  const inBar = new Set(bars.flatMap((s) => s.links));
  const height = TOP + links.length * ROW + 24;
  const rows = links.map((row, i) => linkRow(row, TOP + i * ROW, axis, inBar.has(row.link)));
  return (
    `<svg class="${cls}" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="timeline of ${links.length} links">` +
    timeTicks(axis, TOP, TOP + links.length * ROW) +
    rows.join('') +
    bars.map((s) => snapshotBar(s, rowOf, axis)).join('') +
    '</svg>'
  );
}

export interface CloseUp {
  title: string;
  links: LinkRow[];
  snapshot: SnapshotBar | null;
  startAt: number;
  endAt: number;
}

/** Each sync on a time axis of its own, from the link's opening to the end of its catch-up: the replicas of a
 *  shared snapshot together. A sync lasts milliseconds to minutes, the report hours: on the whole timeline it is
 *  a sliver. */
export function syncCloseUps(m: ReportModel): { closeUps: CloseUp[]; omitted: number } {
  const out: CloseUp[] = [];
  const done = new Set<number>();
  let omitted = 0;
  for (const row of m.links) {
    if (done.has(row.link) || row.sync === null) continue;
    if (out.length >= MAX_CLOSE_UPS) {
      omitted++;
      continue;
    }
    const snapshot = m.snapshots.find((s) => s.links.includes(row.link)) ?? null;
    const links = snapshot ? m.links.filter((l) => snapshot.links.includes(l.link)) : [row];
    for (const l of links) done.add(l.link);
    const startAt = Math.min(...links.map((l) => l.openAt));
    const syncEnd = Math.max(...links.map((l) => l.phases.filter((p) => p.name !== 'streaming').at(-1)?.endAt ?? l.openAt));
    const pad = Math.max(20, (syncEnd - startAt) * 0.1);
    const what = row.sync + (row.reasonCode ? ` (${row.reasonCode})` : '');
    const title = snapshot
      ? `snapshot ${snapshot.snapshot}: one BGSAVE/fork for links ${snapshot.links.map((l) => `#${l}`).join(' ')}`
      : `#${row.link} ${row.replica}: ${what}`;
    out.push({ title, links, snapshot, startAt: startAt - pad, endAt: syncEnd + pad });
  }
  return { closeUps: out, omitted };
}

function linkRow(row: LinkRow, y: number, axis: TimeAxis, waitInBar: boolean): string {
  const parts: string[] = [];
  const sync = row.sync === null ? 'no sync' : row.sync + (row.reasonCode ? `: ${row.reasonCode}` : '');
  parts.push(`<text class="label" x="4" y="${n(y + 17)}">#${row.link} ${esc(row.replica)}</text>`);
  parts.push(`<text class="label sync" x="${LABEL_WIDTH - 8}" y="${n(y + 17)}" text-anchor="end">${esc(sync)}</text>`);
  const inside = (at: number) => at >= axis.startAt && at <= axis.endAt;
  const overlaps = (from: number, to: number) => to >= axis.startAt && from <= axis.endAt;
  for (const p of row.phases) {
    if (!overlaps(p.startAt, p.endAt)) continue;
    if (waitInBar && (p.name === 'waiting for BGSAVE' || p.name === 'waiting for the fork')) continue; // drawn once for all
    const x = xOf(axis, p.startAt);
    const w = Math.max(1, xOf(axis, p.endAt) - x);
    const tip = `#${row.link} ${p.name}: ${utcClock(p.startAt)} to ${utcClock(p.endAt)} (${formatDuration(p.endAt - p.startAt)})`;
    parts.push(`<rect class="phase" x="${n(x)}" y="${n(y + 5)}" width="${n(w)}" height="15" fill="${PHASE_COLORS[p.name]}"><title>${esc(tip)}</title></rect>`);
  }
  for (const s of row.silences) {
    if (!overlaps(s.fromAt, s.toAt)) continue;
    const x = xOf(axis, s.fromAt);
    const w = Math.max(1, xOf(axis, s.toAt) - x);
    const tip = `#${row.link} no ACK from ${utcClock(s.fromAt)} for ${formatDuration(s.toAt - s.fromAt)}${s.ended ? '' : ' (until the link ended)'}`;
    parts.push(`<rect class="silence" x="${n(x)}" y="${n(y + 21)}" width="${n(w)}" height="4"><title>${esc(tip)}</title></rect>`);
  }
  for (const mark of row.marks) if (inside(mark.at)) parts.push(markGlyph(mark, xOf(axis, mark.at), y, row.link));
  if (row.closeAt !== null && inside(row.closeAt)) {
    const x = n(xOf(axis, row.closeAt));
    parts.push(`<line class="close" x1="${x}" x2="${x}" y1="${n(y + 2)}" y2="${n(y + 24)}"><title>${esc(`#${row.link} closed at ${utcClock(row.closeAt)} by ${row.closeReason ?? '?'}`)}</title></line>`);
  }
  const title = `#${row.link} ${row.replica} (socket ${row.replicaAddr}) → ${row.master}: ${sync}${row.reason ? ` (${row.reason})` : ''}`;
  return `<g class="link" data-link="${row.link}"><title>${esc(title)}</title>${parts.join('')}</g>`;
}

function markGlyph(mark: Mark, x: number, y: number, link: number): string {
  const { color, shape } = MARK_GLYPHS[mark.kind];
  const tip = `<title>${esc(`#${link} ${mark.kind} at ${utcClock(mark.at)}: ${mark.text}`)}</title>`;
  const cy = y + 12;
  switch (shape) {
    case 'triangle':
      return `<path class="mark" d="M${n(x - 5)} ${n(y)}h10l-5 9z" fill="${color}">${tip}</path>`;
    case 'diamond':
      return `<path class="mark" d="M${n(x)} ${n(cy - 6)}l6 6l-6 6l-6 -6z" fill="${color}">${tip}</path>`;
    case 'circle':
      return `<circle class="mark" cx="${n(x)}" cy="${n(cy)}" r="4" fill="${color}">${tip}</circle>`;
    case 'square':
      return `<rect class="mark" x="${n(x - 4)}" y="${n(cy - 4)}" width="8" height="8" fill="${color}">${tip}</rect>`;
  }
}

function snapshotBar(s: SnapshotBar, rowOf: Map<number, number>, axis: TimeAxis): string {
  const rows = s.links.map((l) => rowOf.get(l)).filter((i): i is number => i !== undefined);
  const top = TOP + Math.min(...rows) * ROW + 3;
  const bottom = TOP + (Math.max(...rows) + 1) * ROW - 3;
  const x = xOf(axis, s.startAt);
  const w = Math.max(2, xOf(axis, s.endAt) - x);
  const text = `snapshot ${s.snapshot}: one BGSAVE/fork for ${s.links.length} replicas (links ${s.links.join(', ')}), ${formatDuration(s.endAt - s.startAt)}, replid ${s.replid.slice(0, 8)}… offset ${s.offset}`;
  return (
    `<g class="snapshot" data-snapshot="${s.snapshot}"><title>${esc(text)}</title>` +
    `<rect x="${n(x)}" y="${n(top)}" width="${n(w)}" height="${n(bottom - top)}" rx="3" fill="${PHASE_COLORS['waiting for BGSAVE']}" stroke="#b8860b" stroke-width="1.5"/>` +
    (w > 40 ? `<text class="bar-label" x="${n(x + w / 2)}" y="${n((top + bottom) / 2 + 4)}" text-anchor="middle">${s.links.length}×</text>` : '') +
    '</g>'
  );
}
