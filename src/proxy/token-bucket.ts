// Token bucket for the lab's bandwidth limit. Pure: the caller passes the time, so tests need no clock.

export class TokenBucket {
  /** Most bytes that may pass at once: 50 ms worth of rate, at least 64 bytes. */
  readonly capacity: number;
  private tokens: number;
  private last: number;

  constructor(readonly bytesPerSec: number, nowMs: number) {
    this.capacity = Math.max(64, Math.floor(bytesPerSec / 20));
    this.tokens = this.capacity;
    this.last = nowMs;
  }

  /** Takes up to `want` bytes' worth of tokens; returns how many bytes may pass now (0 = wait). */
  take(nowMs: number, want: number): number {
    this.refill(nowMs);
    const granted = Math.min(want, Math.floor(this.tokens));
    this.tokens -= granted;
    return granted;
  }

  /** Milliseconds until `min(want, capacity)` bytes may pass. */
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
