// Commands and bytes per second of event time, in one-second buckets over the last few minutes.
// Buckets are keyed by the event's `at`, never by the wall clock, so a replay at any speed shows the
// rates the master really had.

export const RATE_HISTORY_SEC = 180;
/** Window of the "current" rate shown next to a sparkline. */
export const RATE_WINDOW_SEC = 5;

export interface RateSeries {
  /** second (epoch s) each slot currently holds */
  readonly second: Float64Array;
  readonly commands: Float64Array;
  readonly bytes: Float64Array;
  firstAt: number | null;
}

export function createRateSeries(): RateSeries {
  return {
    second: new Float64Array(RATE_HISTORY_SEC).fill(-1),
    commands: new Float64Array(RATE_HISTORY_SEC),
    bytes: new Float64Array(RATE_HISTORY_SEC),
    firstAt: null,
  };
}

export function addToRate(r: RateSeries, at: number, bytes: number): void {
  const sec = Math.floor(at / 1000);
  const slot = sec % RATE_HISTORY_SEC;
  if (r.second[slot] !== sec) {
    if (r.second[slot] > sec) return; // older than the history kept: out-of-order event, drop
    r.second[slot] = sec;
    r.commands[slot] = 0;
    r.bytes[slot] = 0;
  }
  r.commands[slot]++;
  r.bytes[slot] += bytes;
  if (r.firstAt === null) r.firstAt = at;
}

/** Per-second values, oldest first, for the `seconds` seconds ending with the one holding `now`. */
export function rateHistory(r: RateSeries, now: number, field: 'commands' | 'bytes', seconds = RATE_HISTORY_SEC): number[] {
  const nowSec = Math.floor(now / 1000);
  const n = Math.min(seconds, RATE_HISTORY_SEC);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const sec = nowSec - (n - 1 - i);
    const slot = ((sec % RATE_HISTORY_SEC) + RATE_HISTORY_SEC) % RATE_HISTORY_SEC;
    out[i] = r.second[slot] === sec ? r[field][slot] : 0;
  }
  return out;
}

/** Average per second over the last RATE_WINDOW_SEC seconds up to `now` (shorter when the series is younger). */
export function currentRate(r: RateSeries, now: number, field: 'commands' | 'bytes'): number {
  if (r.firstAt === null) return 0;
  const values = rateHistory(r, now, field, RATE_WINDOW_SEC);
  const sum = values.reduce((a, b) => a + b, 0);
  const spanSec = Math.min(RATE_WINDOW_SEC, Math.max(1, Math.ceil((now - r.firstAt) / 1000)));
  return sum / spanSec;
}
