// The tap between the forward path and its observers. Forwarding only appends each wire event (a chunk after it
// was queued for writing, a link's open, close or fault, a clock tick) to the observers' queues; the observers
// (capture, decoders and the outputs and TUI behind them) drain them later, in slices of a fraction of a
// millisecond, so the next read of a socket never waits for them. Each observer has its own queue, bounded in
// bytes: one that cannot keep up loses bytes of its own, delivered to it as an explicit, counted `gap` wire event
// in their place (a decoder resumes at the next command), while the replicas and the other observers go on.
import type { From, GapReason, WireEvent, WireSink } from '../core/events.js';

/** What a queued event that carries no chunk counts for against the bound. */
const EVENT_BYTES = 64;
/** The gap reasons of the tap. */
export const TAP_OVERFLOW: GapReason = 'tap-overflow';
export const TAP_UNOBSERVED: GapReason = 'unobserved';

export interface TapObserver {
  /** for logs: "capture", "decoder" */
  name: string;
  wire: WireSink;
  /** false while nothing needs this observer's work (nothing listens to the decoders): its bytes are skipped,
   *  and given to it as a gap once it is wanted again */
  wanted?: () => boolean;
}

export interface TapOptions {
  observers: TapObserver[];
  /** bytes each observer may have waiting (default 8 MiB) */
  maxQueuedBytes?: number;
  /** observer work per slice, in ms, before the sockets get their turn again (default 1) */
  sliceMs?: number;
  /** an observer threw: it is given nothing more */
  onObserverError?: (name: string, err: unknown) => void;
}

export interface ObserverStats {
  name: string;
  queuedBytes: number;
  /** bytes given to it as gaps (it fell behind, or nothing wanted it) */
  lostBytes: number;
  gaps: number;
  failed: boolean;
}

export interface WireTap {
  /** The forward path's sink: queues `e` for every observer, returns at once. */
  append: WireSink;
  /** Runs everything queued through the observers now (at shutdown, before the decoders' end). */
  flush(): void;
  stats(): ObserverStats[];
}

export const DEFAULT_TAP_BYTES = 8 * 1024 * 1024;

export function createWireTap(opts: TapOptions): WireTap {
  const maxBytes = opts.maxQueuedBytes ?? DEFAULT_TAP_BYTES;
  const sliceMs = opts.sliceMs ?? 1;
  const queues = opts.observers.map((o) => new ObserverQueue(o, maxBytes, opts.onObserverError));
  let scheduled = false;

  // Every observer gets its share of each slice, so a slow one cannot take the time of the others.
  const drain = (): void => {
    scheduled = false;
    const shareMs = sliceMs / queues.length;
    let behind = false;
    for (const q of queues) if (!q.deliverUntil(performance.now() + shareMs)) behind = true;
    if (behind) schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  };
  return {
    append(e) {
      for (const q of queues) q.offer(e);
      schedule();
    },
    flush() {
      for (const q of queues) q.deliverUntil(Infinity);
    },
    stats: () => queues.map((q) => q.stats()),
  };
}

interface Loss {
  link: number;
  from: From;
  at: number;
  bytes: number;
  reason: GapReason;
}

class ObserverQueue {
  private events: WireEvent[] = [];
  private head = 0;
  private bytes = 0;
  /** open losses by link direction, delivered as gaps before that direction's next event */
  private losses = new Map<string, Loss>();
  private lostBytes = 0;
  private gaps = 0;
  private failed = false;

  constructor(
    private readonly observer: TapObserver,
    private readonly maxBytes: number,
    private readonly onError: TapOptions['onObserverError'],
  ) {}

  offer(e: WireEvent): void {
    if (this.failed) return;
    if (e.kind === 'bytes') {
      const key = `${e.link}/${e.from}`;
      const loss = this.losses.get(key);
      const wanted = this.observer.wanted?.() ?? true;
      // a loss in progress goes on until the queue is half empty again, so one gap covers a whole stall
      const room = loss ? this.maxBytes / 2 : this.maxBytes;
      if (!wanted || this.bytes + e.chunk.length > room) return this.lose(key, loss, e, wanted ? TAP_OVERFLOW : TAP_UNOBSERVED);
      if (loss) this.endLoss(key, loss);
      this.push(e, e.chunk.length);
      return;
    }
    // a gap or close of a link comes after what its directions lost
    if (e.kind === 'gap') this.endLossOf(e.link, e.from);
    else if (e.kind === 'close') {
      this.endLossOf(e.link, 'replica');
      this.endLossOf(e.link, 'master');
    }
    this.push(e, EVENT_BYTES);
  }

  /** Delivers queued events until the queue is empty (true) or `deadline` (performance.now()) has passed. */
  deliverUntil(deadline: number): boolean {
    for (;;) {
      if (this.failed) return this.clear();
      if (this.head === this.events.length) {
        this.events = [];
        this.head = 0;
        if (!this.endLossesWhenIdle()) return true;
        continue;
      }
      const e = this.events[this.head]!;
      this.events[this.head++] = undefined as unknown as WireEvent; // let the chunk go
      this.bytes -= e.kind === 'bytes' ? e.chunk.length : EVENT_BYTES;
      try {
        this.observer.wire(e);
      } catch (err) {
        this.failed = true;
        this.onError?.(this.observer.name, err);
      }
      if (this.head >= 4096 && this.head * 2 >= this.events.length) {
        this.events = this.events.slice(this.head);
        this.head = 0;
      }
      if (performance.now() >= deadline) return this.head === this.events.length && !this.lossesToEnd();
    }
  }

  stats(): ObserverStats {
    return { name: this.observer.name, queuedBytes: this.bytes, lostBytes: this.lostBytes, gaps: this.gaps, failed: this.failed };
  }

  /** The queue is empty: open losses end now (if the observer is wanted), even if their links send nothing more.
   *  False when there was nothing to end. */
  private endLossesWhenIdle(): boolean {
    if (!this.lossesToEnd()) return false;
    for (const [key, loss] of this.losses) this.endLoss(key, loss);
    return true;
  }

  private lossesToEnd(): boolean {
    return this.losses.size > 0 && (this.observer.wanted?.() ?? true);
  }

  private clear(): boolean {
    this.events = [];
    this.head = 0;
    this.bytes = 0;
    this.losses.clear();
    return true;
  }

  private push(e: WireEvent, bytes: number): void {
    this.events.push(e);
    this.bytes += bytes;
  }

  private lose(key: string, loss: Loss | undefined, e: WireEvent & { kind: 'bytes' }, reason: GapReason): void {
    this.lostBytes += e.chunk.length;
    if (loss && loss.reason === reason) {
      loss.bytes += e.chunk.length;
      return;
    }
    if (loss) this.endLoss(key, loss);
    this.losses.set(key, { link: e.link, from: e.from, at: e.at, bytes: e.chunk.length, reason });
  }

  private endLossOf(link: number, from: From): void {
    const key = `${link}/${from}`;
    const loss = this.losses.get(key);
    if (loss) this.endLoss(key, loss);
  }

  private endLoss(key: string, loss: Loss): void {
    this.losses.delete(key);
    this.gaps++;
    this.push({ kind: 'gap', link: loss.link, at: loss.at, from: loss.from, bytes: loss.bytes, reason: loss.reason }, EVENT_BYTES);
  }
}
