// Token bucket for the lab's bandwidth limit. Pure: the caller passes the time, so tests need no clock.
// Bytes pass in pieces of up to `capacity` (50 ms worth): waiting for a whole piece keeps the number of
// timers and chunks low while the long-run rate stays exact.

export class TokenBucket {
  readonly capacity: number;
  private tokens: number;
  private last: number;

  constructor(readonly bytesPerSec: number, nowMs: number) {
    this.capacity = Math.max(64, Math.floor(bytesPerSec / 20));
    this.tokens = this.capacity;
    this.last = nowMs;
  }

  /** Lets `min(want, capacity)` bytes pass if the tokens are there (returns that count), else returns 0. */
  take(nowMs: number, want: number): number {
    this.refill(nowMs);
    const piece = Math.min(want, this.capacity);
    if (this.tokens < piece) return 0;
    this.tokens -= piece;
    return piece;
  }

  /** Milliseconds until `take(want)` will succeed. */
  waitMs(nowMs: number, want: number): number {
    this.refill(nowMs);
    const missing = Math.min(want, this.capacity) - this.tokens;
    return missing <= 0 ? 0 : (missing * 1000) / this.bytesPerSec;
  }

  private refill(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.last);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsedMs * this.bytesPerSec) / 1000);
    this.last = nowMs;
  }
}
