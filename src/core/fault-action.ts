// The one vocabulary of faults: what the lab's --fault specs and control interface ask for, what the TUI's fault
// keys send, and what a proxy link carries out. A link acts on the link faults at once; the others wait for a point
// of the replication, which the lab watches the decoded events for.

/** What a proxy link does at once. */
export type LinkFault =
  | { kind: 'cut' }
  /** hold every byte both ways for `ms`, then let them go in order */
  | { kind: 'freeze'; ms: number }
  /** every chunk, both ways, goes `ms` later (0: off) */
  | { kind: 'delay'; ms: number }
  /** master → replica at most this fast (null: no limit) */
  | { kind: 'bandwidth'; bytesPerSec: number | null }
  /** every chunk, both ways, cut at random into pieces of 1 to `maxBytes` bytes, each written on its own (null:
   *  off); the same bytes in the same order, for decoders to see every chunking. `seed` repeats a run. */
  | { kind: 'slice'; maxBytes: number | null; seed?: number };

/** A fault that waits for a point of the replication. */
export type TriggeredFault =
  | { kind: 'cut-at-handshake' }
  | { kind: 'cut-at-rdb'; percent: number | null; bytes: number | null }
  | { kind: 'cut-at-offset'; offset: number };

/** A fault of the lab's servers, not of one link: a failover of the master (`kill`: SIGKILL; `sentinel`:
 *  SENTINEL FAILOVER; `stop`: SIGSTOP until Sentinel has replaced it), and `revive`: the servers a failover killed
 *  or stopped back (the old master rejoins as a replica). */
export type ServerFault = { kind: 'failover'; how: FailoverHow } | { kind: 'revive' } | ClusterFault;
export type FailoverHow = 'kill' | 'sentinel' | 'stop';
export const FAILOVER_HOWS: readonly FailoverHow[] = ['kill', 'sentinel', 'stop'];

/** The cluster lab's faults of a shard: CLUSTER FAILOVER on one of its replicas (plain, FORCE or TAKEOVER),
 *  SIGKILL of its master (the cluster promotes a replica after the node timeout), and a move of its last `slots`
 *  slots, with their keys, to shard `toShard` (1-based), as `redis-cli --cluster reshard` does it. */
export type ClusterFault =
  | { kind: 'cluster-failover'; how: ClusterFailoverHow }
  | { kind: 'kill-master' }
  | { kind: 'reshard'; toShard: number; slots: number };
export type ClusterFailoverHow = 'graceful' | 'force' | 'takeover';
export const CLUSTER_FAILOVER_HOWS: readonly ClusterFailoverHow[] = ['graceful', 'force', 'takeover'];
/** slots a reshard moves when the spec does not say */
export const RESHARD_DEFAULT_SLOTS = 100;

export type FaultAction = LinkFault | TriggeredFault | ServerFault;

const LINK_FAULTS: ReadonlySet<string> = new Set<LinkFault['kind']>(['cut', 'freeze', 'delay', 'bandwidth', 'slice']);

export function isLinkFault(a: FaultAction): a is LinkFault {
  return LINK_FAULTS.has(a.kind);
}

export function isServerFault(a: FaultAction): a is ServerFault {
  return a.kind === 'failover' || a.kind === 'revive' || isClusterFault(a);
}

export function isClusterFault(a: FaultAction): a is ClusterFault {
  return a.kind === 'cluster-failover' || a.kind === 'kill-master' || a.kind === 'reshard';
}

/** A fault as the lab's spec language writes it ("freeze=5000ms", "bandwidth=off", "cut-at-rdb=50%"). */
export function faultText(a: FaultAction): string {
  switch (a.kind) {
    case 'cut':
      return 'cut';
    case 'freeze':
    case 'delay':
      return `${a.kind}=${a.ms}ms`;
    case 'bandwidth':
      return `bandwidth=${a.bytesPerSec ?? 'off'}`;
    case 'slice':
      return `slice=${a.maxBytes ?? 'off'}`;
    case 'cut-at-handshake':
      return 'cut-at=handshake';
    case 'cut-at-rdb':
      return `cut-at-rdb=${a.percent !== null ? `${a.percent}%` : a.bytes}`;
    case 'cut-at-offset':
      return `cut-at-offset=${a.offset}`;
    case 'failover':
      return `failover=${a.how}`;
    case 'revive':
      return 'revive';
    case 'cluster-failover':
      return a.how === 'graceful' ? 'cluster-failover' : `cluster-failover=${a.how}`;
    case 'kill-master':
      return 'kill-master';
    case 'reshard':
      return `reshard=${a.toShard},slots=${a.slots}`;
  }
}
