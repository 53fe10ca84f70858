// One direction of a link: bytes read from `src` are written to `dst` unchanged, then shown to the tap.
// Without faults this is the plain pump (write, pause on a full socket, resume on drain): no timers, no copies.
// With a fault (freeze, delay, bandwidth) chunks are staged in a bounded FIFO and released by a timer; order
// is kept, nothing is dropped, and a full stage pauses `src` so backpressure still reaches the sender.
import type { Socket } from 'node:net';
import type { From } from '../core/events.js';
import { wireNow } from '../core/clock.js';
import { TokenBucket } from './token-bucket.js';

/** Bytes a staged pipe holds before it pauses its source. */
const STAGE_HIGH_WATER_BYTES = 1 << 20;

interface StagedChunk {
  chunk: Buffer;
  at: number;
}

export class Pipe {
  private dstBlocked = false;
  private srcPaused = false;
  private srcEnded = false;
  private endForwarded = false;
  private stopped = false;

  // Faults. `staging` is true while any fault is set or staged bytes remain.
  private staging = false;
  private frozen = false;
  private delayMs = 0;
  private bucket: TokenBucket | null = null;
  private stage: StagedChunk[] = [];
  private stagedBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly from: From,
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly tap: (from: From, chunk: Buffer) => void,
  ) {}

  /** Starts reading `src` (it was created paused, so early bytes wait in the kernel, in order). */
  start(): void {
    this.src.on('data', this.onData);
    this.src.on('end', this.onEnd);
    this.dst.on('drain', this.onDrain);
    this.src.resume();
  }

  /** Stops timers; the link destroys the sockets. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  setFrozen(frozen: boolean): void {
    this.frozen = frozen;
    this.faultsChanged();
  }

  setDelay(ms: number): void {
    this.delayMs = ms;
    this.faultsChanged();
  }

  setBandwidth(bytesPerSec: number | null): void {
    this.bucket = bytesPerSec === null ? null : new TokenBucket(bytesPerSec, wireNow());
    this.faultsChanged();
  }

  /** True while `src` is paused because its bytes cannot go on yet (a slow destination, a fault). */
  get holding(): boolean {
    return this.srcPaused;
  }

  /** Bytes held by faults, not yet forwarded. */
  get heldBytes(): number {
    return this.stagedBytes;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.staging) {
      this.stage.push({ chunk, at: wireNow() });
      this.stagedBytes += chunk.length;
      this.updateSrcFlow();
      this.pump();
      return;
    }
    this.forward(chunk);
  };

  private readonly onEnd = (): void => {
    this.srcEnded = true;
    if (!this.staging) this.forwardEnd();
    else this.pump();
  };

  private readonly onDrain = (): void => {
    this.dstBlocked = false;
    if (this.staging) this.pump();
    this.updateSrcFlow();
  };

  private forward(chunk: Buffer): void {
    // A destroyed destination means the link is closing: do not tap bytes that went nowhere.
    if (this.dst.destroyed) return;
    if (!this.dst.write(chunk)) {
      this.dstBlocked = true;
      if (!this.srcPaused) {
        this.srcPaused = true;
        this.src.pause();
      }
    }
    this.tap(this.from, chunk);
  }

  private forwardEnd(): void {
    if (this.endForwarded || this.dst.destroyed) return;
    this.endForwarded = true;
    this.dst.end();
  }

  private faultsChanged(): void {
    // Pump once in staging mode: it releases what it may, forwards a held end, and leaves staging
    // when no fault is left and the stage is empty.
    this.clearTimer();
    this.staging = true;
    this.pump();
  }

  private hasFault(): boolean {
    return this.frozen || this.delayMs > 0 || this.bucket !== null;
  }

  /** Releases staged chunks as far as the faults allow; schedules itself for the rest. */
  private readonly pump = (): void => {
    this.timer = null;
    if (this.stopped || this.frozen) return;
    while (this.stage.length > 0) {
      if (this.dstBlocked || this.dst.destroyed) return; // onDrain pumps again
      const head = this.stage[0]!;
      const now = wireNow();
      if (this.delayMs > 0) {
        const waitMs = head.at + this.delayMs - now;
        if (waitMs > 0) return this.schedule(waitMs);
      }
      let piece = head.chunk;
      if (this.bucket) {
        const granted = this.bucket.take(now, piece.length);
        if (granted === 0) return this.schedule(this.bucket.waitMs(now, piece.length));
        piece = piece.subarray(0, granted);
      }
      if (piece.length === head.chunk.length) this.stage.shift();
      else head.chunk = head.chunk.subarray(piece.length);
      this.stagedBytes -= piece.length;
      this.forward(piece);
      this.updateSrcFlow();
    }
    if (this.srcEnded) this.forwardEnd();
    this.staging = this.hasFault();
    this.updateSrcFlow();
  };

  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(this.pump, Math.max(1, Math.ceil(ms)));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private updateSrcFlow(): void {
    const hold = this.dstBlocked || this.stagedBytes >= STAGE_HIGH_WATER_BYTES;
    if (hold && !this.srcPaused) {
      this.srcPaused = true;
      this.src.pause();
    } else if (!hold && this.srcPaused) {
      this.srcPaused = false;
      this.src.resume();
    }
  }
}
