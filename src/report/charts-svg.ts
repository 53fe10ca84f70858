// Series over time as SVG: a replica's lag (ms above, bytes below) with its ACK silences shaded, and the
// masters' command rate stacked by command. Values are the report's downsampled buckets.
import { formatBytes, formatCount, formatDuration } from '../tui/format/units.js';
import type { Silence } from './report-model.js';
import { esc, n, PALETTE, timeTicks, utcClock, xOf, type TimeAxis } from './svg.js';
import type { SeriesView } from './time-buckets.js';

const WIDTH = 1200;
const LEFT = 90;
const PANEL = 70;
/** empty buckets bridged by a line; a longer run breaks it */
const BRIDGE_BUCKETS = 4;

function axisFor(startAt: number, endAt: number): TimeAxis {
  return { startAt, endAt, left: LEFT, width: WIDTH - LEFT - 16 };
}

/** Points of a series as an SVG path, broken where it has no values for a while. */
function linePath(axis: TimeAxis, s: SeriesView, top: number, max: number): string {
  const parts: string[] = [];
  let empty = Infinity;
  s.values.forEach((v, i) => {
    if (Number.isNaN(v)) {
      empty++;
      return;
    }
    const x = xOf(axis, s.startAt + (i + 0.5) * s.widthMs);
    const y = top + PANEL - (max > 0 ? (v / max) * PANEL : 0);
    parts.push(`${empty > BRIDGE_BUCKETS ? 'M' : 'L'}${n(x)} ${n(y)}`);
    empty = 0;
  });
  return parts.join('');
}

function maxOf(s: SeriesView | null): number {
  let max = 0;
  for (const v of s?.values ?? []) if (v > max) max = v;
  return max;
}

function panel(axis: TimeAxis, s: SeriesView | null, top: number, label: string, format: (v: number) => string, color: string): string {
  const max = maxOf(s);
  return (
    `<rect class="panel" x="${LEFT}" y="${top}" width="${axis.width}" height="${PANEL}"/>` +
    `<text class="axis" x="${LEFT - 6}" y="${top + 10}" text-anchor="end">${esc(format(max))}</text>` +
    `<text class="axis" x="${LEFT - 6}" y="${top + PANEL}" text-anchor="end">0</text>` +
    `<text class="axis" x="4" y="${top + PANEL / 2 + 4}">${esc(label)}</text>` +
    (s ? `<path class="line" d="${linePath(axis, s, top, max)}" stroke="${color}"/>` : '')
  );
}

/** One replica: lag in ms and in bytes over the report's time, ACK silences shaded across both. */
export function lagSvg(replica: string, startAt: number, endAt: number, ms: SeriesView | null, bytes: SeriesView | null, silences: Silence[]): string {
  const axis = axisFor(startAt, endAt);
  const top = 6;
  const height = top + 2 * PANEL + 8 + 20;
  const shaded = silences.map((s) => {
    const x = xOf(axis, s.fromAt);
    return `<rect class="silence-band" x="${n(x)}" y="${top}" width="${n(Math.max(1, xOf(axis, s.toAt) - x))}" height="${2 * PANEL + 8}"><title>${esc(`no ACK from ${utcClock(s.fromAt)} for ${formatDuration(s.toAt - s.fromAt)}`)}</title></rect>`;
  });
  return (
    `<svg class="lag" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="lag of ${esc(replica)}">` +
    shaded.join('') +
    panel(axis, ms, top, 'lag ms', (v) => formatDuration(v), PALETTE[3]) +
    panel(axis, bytes, top + PANEL + 8, 'lag bytes', (v) => formatBytes(v), PALETTE[0]) +
    timeTicks(axis, top, top + 2 * PANEL + 8) +
    '</svg>'
  );
}

export interface RateSeries {
  name: string;
  view: SeriesView;
}

/** Commands per second over time, stacked by command (counts per bucket turned into rates). */
export function rateSvg(startAt: number, endAt: number, series: RateSeries[]): string {
  const axis = axisFor(startAt, endAt);
  const top = 6;
  const height = top + 2 * PANEL + 20;
  const first = series[0]?.view;
  const buckets = first?.values.length ?? 0;
  const perSec = (v: number, s: SeriesView) => (Number.isNaN(v) ? 0 : (v * 1000) / s.widthMs);
  // the top edge of each series' band: the rates of it and of every series below it
  const stacked: number[][] = [];
  let below = new Array<number>(buckets).fill(0);
  for (const s of series) {
    below = below.map((sum, i) => sum + perSec(s.view.values[i] ?? NaN, s.view));
    stacked.push(below);
  }
  const max = Math.max(0, ...below);
  const y = (v: number) => top + 2 * PANEL - (max > 0 ? (v / max) * 2 * PANEL : 0);
  const areas = series.map((s, k) => {
    if (!first) return '';
    const xs = Array.from({ length: buckets }, (_, i) => xOf(axis, first.startAt + (i + 0.5) * first.widthMs));
    const upper = stacked[k];
    const lower = k === 0 ? new Array<number>(buckets).fill(0) : stacked[k - 1];
    const along = xs.map((x, i) => `${i === 0 ? 'M' : 'L'}${n(x)} ${n(y(upper[i]))}`);
    const back = xs.map((x, i) => `L${n(x)} ${n(y(lower[i]))}`).reverse();
    const d = `${along.join('')}${back.join('')}Z`;
    return `<path class="area" d="${d}" fill="${PALETTE[k % PALETTE.length]}"><title>${esc(s.name)}</title></path>`;
  });
  return (
    `<svg class="rates" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="commands per second">` +
    `<rect class="panel" x="${LEFT}" y="${top}" width="${axis.width}" height="${2 * PANEL}"/>` +
    areas.join('') +
    `<text class="axis" x="${LEFT - 6}" y="${top + 10}" text-anchor="end">${esc(formatCount(max))}/s</text>` +
    `<text class="axis" x="${LEFT - 6}" y="${top + 2 * PANEL}" text-anchor="end">0</text>` +
    timeTicks(axis, top, top + 2 * PANEL) +
    '</svg>'
  );
}
