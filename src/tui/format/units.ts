// Human units for bytes, rates and durations: short, fixed-ish width, no locale dependence.

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (powers of 1024, like redis INFO's human fields). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const sign = n < 0 ? '-' : '';
  const digits = u === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${sign}${v.toFixed(digits)} ${BYTE_UNITS[u]}`;
}

/** bytes per second → "12.3 MB/s" */
export function formatByteRate(bytesPerSec: number | null): string {
  if (bytesPerSec === null || !Number.isFinite(bytesPerSec)) return '- B/s';
  return `${formatBytes(bytesPerSec)}/s`;
}

/** A count per second with k/M suffixes: 12345 → "12.3k". */
export function formatCount(n: number): string {
  const v = Math.abs(n);
  if (v >= 1e6) return `${(n / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(n / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return v >= 10 || Number.isInteger(n) ? n.toFixed(0) : n.toFixed(1);
}

/** Milliseconds in; "0.4 ms", "12 ms", "1.50 s", "2m05s" or "1h02m" out. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  if (ms < 0) ms = 0;
  if (ms === 0) return '0 ms';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const totalSec = Math.floor(ms / 1000);
  if (totalSec < 3600) return `${Math.floor(totalSec / 60)}m${String(totalSec % 60).padStart(2, '0')}s`;
  return `${Math.floor(totalSec / 3600)}h${String(Math.floor(totalSec / 60) % 60).padStart(2, '0')}m`;
}

/** Wall-clock time of an event, HH:MM:SS.mmm in the local time zone. */
export function formatClock(at: number): string {
  const d = new Date(at);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
