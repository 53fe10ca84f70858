// Applies faults to the lab's links: now, after a while, when a replica's next link comes, or at a point of the
// replication the decoded events show (the PSYNC, N% of the RDB, a replication offset). The proxy links emit
// the `fault` wire events, so every fault lands in the stream and the capture. Faults are applied outside the
// event callbacks (a microtask later), never from inside the proxy's tap.
import { announcedPort } from '../decode/analysis/listening-port.js';
import type { ReplEvent, WireEvent } from '../core/events.js';
import { isLinkFault, isServerFault, type ServerFault } from '../core/fault-action.js';
import type { ProxyLink } from '../proxy/index.js';
import { checkReplicaTarget, describeTarget, type FaultSpec } from './fault-spec.js';
import type { LinkRegistry } from '../proxy/link-registry.js';

interface Armed {
  spec: FaultSpec;
  /** delay/bandwidth/slice aimed at a replica: applied again to each of its later links */
  sticky: boolean;
}

interface RdbWatch {
  armed: Armed;
  size: number | null;
  cutAtBytes: number;
  seen: number;
}

export interface LinkStatus {
  link: number;
  replica: number | null;
  server: number | undefined;
}

export class FaultControl {
  private armed: Armed[] = [];
  private replicaOf = new Map<number, number>(); // link → replica number (1-based)
  private rdbWatches = new Map<number, RdbWatch>();
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly registry: LinkRegistry,
    /** listening port of replica 1, 2, ... */
    private readonly replicaPorts: number[],
    private readonly warn: (message: string) => void,
    /** the lab's servers: a failover, a revive (null: the lab has no Sentinel to fail over with) */
    private readonly servers: ((action: ServerFault, spec: FaultSpec) => string) | null = null,
  ) {}

  /** Applies or arms a fault; says what it did. Throws a ReplSpyError-free Error for a closed link. */
  apply(spec: FaultSpec): string {
    checkReplicaTarget(spec, this.replicaPorts.length);
    if (spec.afterMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        try {
          this.apply({ ...spec, afterMs: 0 });
        } catch (err) {
          this.warn(`fault ${spec.text}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }, spec.afterMs);
      this.timers.add(timer);
      return `${spec.text}: in ${spec.afterMs} ms`;
    }
    if (isServerFault(spec.action)) {
      if (!this.servers) throw new Error(`${spec.text}: a failover needs Sentinels: start the lab with --sentinels 3`);
      return this.servers(spec.action, spec);
    }
    const t = spec.target;
    if ('link' in t && this.registry.issued(t.link) && !this.registry.link(t.link)) {
      throw new Error(`link ${t.link} is closed`);
    }
    const immediate = isImmediate(spec);
    const sticky = isSticky(spec);
    const targets = this.registry.liveIds().filter((id) => this.matches(spec, id));
    if (immediate && targets.length > 0) {
      for (const id of targets) this.fire(spec, id);
      if (sticky) this.keep({ spec, sticky });
      return `${spec.text}: applied to link ${targets.join(', ')}`;
    }
    this.keep({ spec, sticky });
    return `${spec.text}: armed, waits for ${describeTarget(t)}${immediate ? ' to connect' : ''}`;
  }

  /** After the pipeline decoded `e` (so the RDB watch knows where the payload starts). */
  onWire(e: WireEvent): void {
    if (e.kind !== 'bytes' || e.from !== 'master') return;
    const watch = this.rdbWatches.get(e.link);
    if (!watch) return;
    watch.seen += e.chunk.length;
    if (watch.seen < watch.cutAtBytes) return;
    this.rdbWatches.delete(e.link);
    this.disarm(watch.armed);
    const pct = watch.size ? ` (${Math.round((100 * watch.seen) / watch.size)}% of ${watch.size})` : '';
    this.fire(watch.armed.spec, e.link, `${watch.armed.spec.text}: ${watch.seen} bytes of the RDB forwarded${pct}`);
  }

  observe(e: ReplEvent): void {
    switch (e.type) {
      case 'link-open':
        return this.linkKnown(e.link);
      case 'replica-command': {
        const port = announcedPort(e.argv);
        const replica = port ? this.replicaPorts.indexOf(Number(port)) + 1 : 0;
        if (replica > 0) {
          this.replicaOf.set(e.link, replica);
          this.linkKnown(e.link);
        }
        return;
      }
      case 'psync':
        return this.trigger(e.link, 'cut-at-handshake', () => 'at the PSYNC, before the master answers');
      case 'rdb-start':
        return this.watchRdb(e.link, e.size);
      case 'command': {
        const hit = this.armed.find((a) => a.spec.action.kind === 'cut-at-offset' && this.matches(a.spec, e.link) && e.offset >= a.spec.action.offset);
        if (hit) {
          this.disarm(hit);
          this.fire(hit.spec, e.link, `${hit.spec.text}: at offset ${e.offset}`);
        }
        return;
      }
      case 'link-close':
        this.replicaOf.delete(e.link);
        this.rdbWatches.delete(e.link);
        return;
      default:
        return;
    }
  }

  links(): LinkStatus[] {
    return this.registry.liveIds().map((link) => ({ link, replica: this.replicaOf.get(link) ?? null, server: this.registry.frontOf(link) }));
  }

  armedFaults(): string[] {
    return this.armed.map((a) => a.spec.text);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.armed = [];
  }

  private matches(spec: FaultSpec, link: number): boolean {
    const t = spec.target;
    return 'link' in t ? t.link === link : 'replica' in t && this.replicaOf.get(link) === t.replica;
  }

  /** A link became identifiable (opened, or announced its replica): immediate faults waiting for it fire. */
  private linkKnown(link: number): void {
    for (const a of [...this.armed]) {
      if (!isImmediate(a.spec) || !this.matches(a.spec, link)) continue;
      if (!a.sticky) this.disarm(a);
      this.fire(a.spec, link);
    }
  }

  private trigger(link: number, kind: 'cut-at-handshake', where: () => string): void {
    const hit = this.armed.find((a) => a.spec.action.kind === kind && this.matches(a.spec, link));
    if (!hit) return;
    this.disarm(hit);
    this.fire(hit.spec, link, `${hit.spec.text}: ${where()}`);
  }

  private watchRdb(link: number, size: number | null): void {
    const armed = this.armed.find((a) => a.spec.action.kind === 'cut-at-rdb' && this.matches(a.spec, link));
    if (!armed || armed.spec.action.kind !== 'cut-at-rdb') return;
    const { percent, bytes } = armed.spec.action;
    if (percent !== null && size === null) {
      this.warn(`fault ${armed.spec.text}: this RDB has no announced size (diskless sync): give a size (cut-at-rdb=64kb) instead of a percent`);
      return;
    }
    this.rdbWatches.set(link, { armed, size, cutAtBytes: percent !== null ? Math.ceil((size! * percent) / 100) : bytes!, seen: 0 });
  }

  private keep(a: Armed): void {
    if (a.sticky) {
      // A new delay or bandwidth for a replica replaces the previous one of the same kind.
      this.armed = this.armed.filter((x) => !(x.sticky && x.spec.action.kind === a.spec.action.kind && describeTarget(x.spec.target) === describeTarget(a.spec.target)));
      const action = a.spec.action;
      const off = (action.kind === 'delay' && action.ms === 0) || (action.kind === 'bandwidth' && action.bytesPerSec === null) || (action.kind === 'slice' && action.maxBytes === null);
      if (off) return;
    }
    this.armed.push(a);
  }

  private disarm(a: Armed): void {
    this.armed = this.armed.filter((x) => x !== a);
  }

  private fire(spec: FaultSpec, id: number, why = spec.text): void {
    queueMicrotask(() => {
      const link = this.registry.link(id);
      if (!link) return;
      try {
        // a fault that waited for its point of the replication is a cut when it comes
        link.apply(isLinkFault(spec.action) ? spec.action : { kind: 'cut' }, why);
      } catch (err) {
        this.warn(`fault ${spec.text} on link ${id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }
}

/** Acts on a link as soon as it is there (the others wait for a point of the replication). */
function isImmediate(spec: FaultSpec): boolean {
  return isLinkFault(spec.action);
}

/** A delay, bandwidth or slice aimed at a replica: applied again to each of its later links. */
function isSticky(spec: FaultSpec): boolean {
  const kind = spec.action.kind;
  return 'replica' in spec.target && (kind === 'delay' || kind === 'bandwidth' || kind === 'slice');
}
