// The faults of one link as stages between its pipes and sockets. Per direction the stages keep one order (delay,
// bandwidth, freeze, slice: a freeze holds what a delay let go, and the pieces of a slice are the writes the tap
// sees). A stage is put in when its fault is set and taken out once it holds nothing and its fault is off, so a
// link without faults is the plain pump again. Faults set before the master leg connected apply once it has.
import type { LinkFault } from '../core/fault-action.js';
import type { Outlet, Pipe } from './pipe.js';
import { BandwidthStage, DelayStage, FreezeStage, SliceStage, type Stage } from './stage.js';

const ORDER = ['delay', 'bandwidth', 'freeze', 'slice'] as const;
type StageKind = (typeof ORDER)[number];

/** The stages of one direction, from its pipe to its socket. */
export class FaultChain {
  private readonly stages = new Map<StageKind, Stage>();

  constructor(
    readonly pipe: Pipe,
    private readonly socket: Outlet,
  ) {}

  /** The stage of this kind, put in if it is not there. */
  stage<S extends Stage>(kind: StageKind, make: () => S): S {
    let s = this.stages.get(kind) as S | undefined;
    if (!s) {
      const made = make();
      made.onIdle = () => this.remove(kind, made);
      this.stages.set(kind, made);
      this.relink();
      s = made;
    }
    return s;
  }

  existing<S extends Stage>(kind: StageKind): S | undefined {
    return this.stages.get(kind) as S | undefined;
  }

  get heldBytes(): number {
    let sum = 0;
    for (const s of this.stages.values()) sum += s.heldBytes;
    return sum;
  }

  stop(): void {
    for (const s of this.stages.values()) s.stop();
  }

  private remove(kind: StageKind, s: Stage): void {
    if (this.stages.get(kind) !== s) return;
    this.stages.delete(kind);
    this.relink();
  }

  private relink(): void {
    let next: Outlet = this.socket;
    for (let i = ORDER.length - 1; i >= 0; i--) {
      const s = this.stages.get(ORDER[i]!);
      if (!s) continue;
      s.passTo(next);
      next = s;
    }
    this.pipe.to(next);
  }
}

/** A link's faults in force (cut is the link's own: it closes it). */
export class LinkFaults {
  private chains: FaultChain[] = [];
  private frozen = false;
  private delayMs = 0;
  private bandwidth: number | null = null;
  private slice: { maxBytes: number; seed?: number } | null = null;
  private freezeTimer: NodeJS.Timeout | null = null;

  /** `note` tells of a fault as it takes effect (the link's `fault` wire event). */
  constructor(private readonly note: (fault: string, detail: Record<string, unknown>) => void) {}

  /** The pipes exist now: what was set before applies to them. */
  attach(chains: FaultChain[]): void {
    this.chains = chains;
    this.applyAll();
  }

  apply(f: Exclude<LinkFault, { kind: 'cut' }>): void {
    switch (f.kind) {
      case 'freeze':
        if (this.freezeTimer) clearTimeout(this.freezeTimer);
        this.note('freeze', { ms: f.ms });
        this.frozen = true;
        this.freezeTimer = setTimeout(() => {
          this.freezeTimer = null;
          this.note('freeze-end', { ms: f.ms }); // before the held bytes flow, so events stay in wire order
          this.frozen = false;
          this.applyAll();
        }, f.ms);
        break;
      case 'delay':
        this.delayMs = f.ms;
        this.note('delay', { ms: f.ms });
        break;
      case 'bandwidth':
        this.bandwidth = f.bytesPerSec;
        this.note('bandwidth', { bytesPerSec: f.bytesPerSec });
        break;
      case 'slice':
        this.slice = f.maxBytes === null ? null : { maxBytes: f.maxBytes, seed: f.seed };
        this.note('slice', { maxBytes: f.maxBytes });
        break;
    }
    this.applyAll();
  }

  get heldBytes(): number {
    return this.chains.reduce((sum, c) => sum + c.heldBytes, 0);
  }

  stop(): void {
    if (this.freezeTimer) clearTimeout(this.freezeTimer);
    for (const c of this.chains) c.stop();
  }

  private applyAll(): void {
    for (const c of this.chains) {
      set(c, 'delay', this.delayMs > 0, () => new DelayStage(), (s) => s.setDelay(this.delayMs));
      const limited = c.pipe.from === 'master' && this.bandwidth !== null;
      set(c, 'bandwidth', limited, () => new BandwidthStage(), (s) => s.setRate(limited ? this.bandwidth : null));
      set(c, 'freeze', this.frozen, () => new FreezeStage(), (s) => s.setFrozen(this.frozen));
      set(c, 'slice', this.slice !== null, () => new SliceStage(), (s) => s.setSlicing(this.slice?.maxBytes ?? null, this.slice?.seed));
    }
  }
}

/** Puts the stage in when its fault is on; tells an existing one the fault's new value (it leaves once empty). */
function set<S extends Stage>(chain: FaultChain, kind: StageKind, on: boolean, make: () => S, update: (s: S) => void): void {
  const s = on ? chain.stage(kind, make) : chain.existing<S>(kind);
  if (s) update(s);
}
