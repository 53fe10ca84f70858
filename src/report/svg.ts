// What the report's pictures share: escaping, a time axis from the report's start to its end, UTC clock labels,
// and the colours. Pure string building: the report is one file with inline SVG, no script, no fetch.

/** Text for HTML and SVG, content and attributes. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "12:00:01.234" in UTC (the report states the date once, in its header). */
export function utcClock(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

export function utcDateTime(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

/** A number for an SVG attribute: two decimals at most. */
export function n(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export interface TimeAxis {
  startAt: number;
  endAt: number;
  /** left edge and width of the plot, px */
  left: number;
  width: number;
}

export function xOf(axis: TimeAxis, at: number): number {
  const span = Math.max(1, axis.endAt - axis.startAt);
  return axis.left + (Math.min(Math.max(at, axis.startAt), axis.endAt) - axis.startAt) * (axis.width / span);
}

const STEPS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000];

/** Tick marks and clock labels along the axis, one per ~110 px at most. */
export function timeTicks(axis: TimeAxis, top: number, bottom: number): string {
  const span = Math.max(1, axis.endAt - axis.startAt);
  const most = Math.max(2, Math.floor(axis.width / 110));
  const step = STEPS_MS.find((s) => span / s <= most) ?? STEPS_MS.at(-1)!;
  const out: string[] = [];
  for (let t = Math.ceil(axis.startAt / step) * step; t <= axis.endAt; t += step) {
    const x = n(xOf(axis, t));
    const iso = new Date(t).toISOString(); // e.g. 2025-01-02T03:04:05.678Z
    const label = span > 86_400_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : step < 1000 ? iso.slice(11, 23) : iso.slice(11, 19);
    out.push(`<line class="tick" x1="${x}" x2="${x}" y1="${n(top)}" y2="${n(bottom)}"/><text class="axis" x="${x}" y="${n(bottom + 12)}" text-anchor="middle">${label}</text>`);
  }
  return out.join('');
}

/** Distinct colours for series (command names), in order of importance. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
