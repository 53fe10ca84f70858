// Fault stages: outlets put between a pipe and its socket by the lab's faults (toxiproxy's toxics). One contract for
// all: a stage holds chunks back or cuts them up, but never drops, reorders or copies a byte, and passes the end on
// after the last one. A stage holding its high-water mark asks the pipe to wait, so the sender feels the fault as
// backpressure and what is held stays bounded.
import { wireNow } from '../core/clock.js';
import type { Outlet } from './pipe.js';
import { TokenBucket } from './token-bucket.js';
import { seededRandom } from '../core/seeded-random.js';

/** Bytes a stage holds before it asks its writer to wait. */
export const STAGE_HIGH_WATER_BYTES = 1 << 20;

interface Held {
  chunk: Buffer;
  at: number;
}

export abstract class Stage implements Outlet {
  onDrain = (): void => {};
  /** Called once the stage holds nothing and its fault is off: it may be taken out. */
  onIdle = (): void => {};
  private next!: Outlet;
  private held: Held[] = [];
  private heldCount = 0;
  private nextFull = false;
  private toldToWait = false;
  private ended = false;
  private endSent = false;
  private timer: NodeJS.Timeout | null = null;
  private pumping = false;
  private again = false;
  private stopped = false;

  /** The outlet this stage passes bytes to (the socket, or the next stage). */
  passTo(next: Outlet): void {
    this.next = next;
    next.onDrain = this.nextDrained;
    this.nextFull = false;
  }

  /** Bytes held, not passed on yet. */
  get heldBytes(): number {
    return this.heldCount;
  }

  write(chunk: Buffer): boolean {
    this.held.push({ chunk, at: wireNow() });
    this.heldCount += chunk.length;
    this.pump();
    if (this.heldCount < STAGE_HIGH_WATER_BYTES) return true;
    this.toldToWait = true;
    return false;
  }

  end(): void {
    this.ended = true;
    this.pump();
  }

  /** The link closed: no more timers. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /** True while the fault holds (it may hold no bytes at the moment). */
  protected abstract get inForce(): boolean;
  /** Bytes of the head chunk that may go now (0: not yet). */
  protected abstract allowance(head: Held, now: number): number;
  /** When to look again if the head may not go now: ms, or null for "when the fault changes" (see pump). */
  protected abstract wakeInMs(head: Held, now: number): number | null;

  /** Passes on what the fault lets through now; schedules itself for the rest. Subclasses call it when their
   *  fault changes. */
  protected readonly pump = (): void => {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    this.clearTimer();
    do {
      this.again = false;
      this.release();
    } while (this.again);
    this.pumping = false;
    if (this.toldToWait && this.heldCount < STAGE_HIGH_WATER_BYTES) {
      this.toldToWait = false;
      this.onDrain();
    }
    if (this.held.length === 0 && !this.inForce) this.onIdle();
  };

  private release(): void {
    while (this.held.length > 0 && !this.nextFull && !this.stopped) {
      const head = this.held[0]!;
      const now = wireNow();
      const n = this.allowance(head, now);
      if (n <= 0) {
        const ms = this.wakeInMs(head, now);
        if (ms !== null) this.timer = setTimeout(this.pump, Math.max(1, Math.ceil(ms)));
        return;
      }
      let piece = head.chunk;
      if (n < piece.length) {
        piece = piece.subarray(0, n);
        head.chunk = head.chunk.subarray(n);
      } else {
        this.held.shift();
      }
      this.heldCount -= piece.length;
      if (!this.next.write(piece)) this.nextFull = true;
    }
    if (this.held.length === 0 && this.ended && !this.endSent) {
      this.endSent = true;
      this.next.end();
    }
  }

  private readonly nextDrained = (): void => {
    this.nextFull = false;
    this.pump();
  };

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Nothing passes while frozen. */
export class FreezeStage extends Stage {
  private frozen = false;

  setFrozen(frozen: boolean): void {
    this.frozen = frozen;
    this.pump();
  }

  protected get inForce(): boolean {
    return this.frozen;
  }

  protected allowance(head: Held): number {
    return this.frozen ? 0 : head.chunk.length;
  }

  protected wakeInMs(): number | null {
    return null;
  }
}

/** Each chunk passes `ms` after it came. */
export class DelayStage extends Stage {
  private ms = 0;

  setDelay(ms: number): void {
    this.ms = ms;
    this.pump();
  }

  protected get inForce(): boolean {
    return this.ms > 0;
  }

  protected allowance(head: Held, now: number): number {
    return now >= head.at + this.ms ? head.chunk.length : 0;
  }

  protected wakeInMs(head: Held, now: number): number {
    return head.at + this.ms - now;
  }
}

/** At most `bytesPerSec`, in pieces of a token bucket's size. */
export class BandwidthStage extends Stage {
  private bucket: TokenBucket | null = null;

  setRate(bytesPerSec: number | null): void {
    if (bytesPerSec === (this.bucket?.bytesPerSec ?? null)) return;
    this.bucket = bytesPerSec === null ? null : new TokenBucket(bytesPerSec, wireNow());
    this.pump();
  }

  protected get inForce(): boolean {
    return this.bucket !== null;
  }

  protected allowance(head: Held, now: number): number {
    return this.bucket ? this.bucket.take(now, head.chunk.length) : head.chunk.length;
  }

  protected wakeInMs(head: Held, now: number): number {
    return this.bucket!.waitMs(now, head.chunk.length);
  }
}

/** Every chunk cut at random into pieces of 1 to `maxBytes` bytes, passed on at once, each as its own write. */
export class SliceStage extends Stage {
  private maxBytes: number | null = null;
  private random: () => number = Math.random;
  private seed: number | undefined;

  setSlicing(maxBytes: number | null, seed?: number): void {
    this.maxBytes = maxBytes;
    if (seed !== undefined && seed !== this.seed) this.random = seededRandom(seed);
    this.seed = seed;
    this.pump();
  }

  protected get inForce(): boolean {
    return this.maxBytes !== null;
  }

  protected allowance(head: Held): number {
    if (this.maxBytes === null) return head.chunk.length;
    return 1 + Math.floor(this.random() * Math.min(this.maxBytes, head.chunk.length));
  }

  protected wakeInMs(): number | null {
    return null;
  }
}
