// The lab's fault language, shared by --fault, the control interface and scripts. Pure.
//   <target>,[after=<duration>,]<action>
//   target:  link=N (a proxy link id, as in the event stream) | replica=N (1-based; follows it across reconnections)
//   action:  cut | freeze=<duration> | delay=<duration> | bandwidth=<size>|off | slice=<size>|off
//            cut-at=handshake | cut-at-rdb=<percent>%|<size> | cut-at-offset=<replication offset>
//   or, with --sentinels, no target:  failover=kill|sentinel|stop | revive
//   or, with --cluster, target shard=N (1-based, as printed) or node=NAME (master-1, replica-2-1...):
//            cluster-failover[=force|takeover] | kill-master | reshard=<to shard>[,slots=N] | revive (target optional)
//            (link faults take node=NAME too: that node's links as a replica)
//   duration: 500ms, 5s, 1.5s      size: 65536, 64kb, 1mb (per second for bandwidth)
import { ReplSpyError } from '../core/errors.js';
import {
  CLUSTER_FAILOVER_HOWS, FAILOVER_HOWS, isClusterFault, isServerFault, RESHARD_DEFAULT_SLOTS,
  type ClusterFailoverHow, type FailoverHow, type FaultAction,
} from '../core/fault-action.js';
import { parseDuration, parseSize } from '../core/units.js';

/** `master`: the lab's servers as a topology (a failover, a revive). */
/** `shard`, `node`: the cluster lab's shards (1-based) and nodes by name. */
export type FaultTarget = { link: number } | { replica: number } | { master: true } | { shard: number } | { node: string };

export interface FaultSpec {
  target: FaultTarget;
  afterMs: number;
  action: FaultAction;
  /** the spec as written, for events and messages */
  text: string;
}

export function parseFaultSpec(text: string): FaultSpec {
  const fail = (why: string): never => {
    throw new ReplSpyError('RSPY_BAD_ARGS', `fault ${JSON.stringify(text)}: ${why}`, {
      hint: 'e.g. "replica=2,cut", "link=3,freeze=5s", "replica=1,bandwidth=100kb", "replica=2,cut-at-rdb=50%", "replica=3,after=10s,cut"',
    });
  };
  let target: FaultTarget | null = null;
  let afterMs = 0;
  let action: FaultAction | null = null;
  let slots: number | null = null;
  const setAction = (a: FaultAction): void => {
    if (action) fail('give one action per fault');
    action = a;
  };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? null : part.slice(eq + 1).trim();
    const need = (): string => value ?? fail(`${key} needs a value (${key}=...)`);
    switch (key) {
      case 'link':
      case 'replica': {
        if (target) fail('give one target (link=N or replica=N)');
        const n = Number(need());
        if (!Number.isSafeInteger(n) || n < 1) fail(`${key} must be a whole number from 1`);
        target = key === 'link' ? { link: n } : { replica: n };
        break;
      }
      case 'shard': {
        if (target) fail('give one target (shard=N or node=NAME)');
        const n = Number(need());
        if (!Number.isSafeInteger(n) || n < 1) fail('shard must be a whole number from 1');
        target = { shard: n };
        break;
      }
      case 'node': {
        if (target) fail('give one target (shard=N or node=NAME)');
        const name = need();
        if (!/^[\w-]+$/.test(name)) fail('node takes a node\'s name as the lab prints it (master-1, replica-2-1...)');
        target = { node: name };
        break;
      }
      case 'cluster-failover': {
        const how = (value ?? 'graceful') as ClusterFailoverHow;
        if (!CLUSTER_FAILOVER_HOWS.includes(how) || value === 'graceful') fail('cluster-failover takes no value, force or takeover');
        setAction({ kind: 'cluster-failover', how });
        break;
      }
      case 'kill-master':
        if (value !== null && value !== 'true') fail('kill-master takes no value');
        setAction({ kind: 'kill-master' });
        break;
      case 'reshard': {
        const to = Number(need());
        if (!Number.isSafeInteger(to) || to < 1) fail('reshard takes the shard the slots go to (reshard=2)');
        setAction({ kind: 'reshard', toShard: to, slots: RESHARD_DEFAULT_SLOTS });
        break;
      }
      case 'slots': {
        const n = Number(need());
        if (!Number.isSafeInteger(n) || n < 1 || n > 16384) fail('slots must be a whole number from 1 to 16384');
        slots = n;
        break;
      }
      case 'after':
        afterMs = parseDuration(need(), fail);
        break;
      case 'cut':
        if (value !== null && value !== 'true') fail('cut takes no value');
        setAction({ kind: 'cut' });
        break;
      case 'freeze':
        setAction({ kind: 'freeze', ms: parseDuration(need(), fail) });
        break;
      case 'delay':
        setAction({ kind: 'delay', ms: parseDuration(need(), fail) });
        break;
      case 'bandwidth': {
        const v = need();
        setAction({ kind: 'bandwidth', bytesPerSec: v === 'off' ? null : positive(parseSize(v, fail), 'bandwidth', fail) });
        break;
      }
      case 'slice': {
        const v = need();
        setAction({ kind: 'slice', maxBytes: v === 'off' ? null : positive(parseSize(v, fail), 'slice', fail) });
        break;
      }
      case 'cut-at':
        if (need() !== 'handshake') fail('cut-at takes "handshake" (use cut-at-rdb=50% or cut-at-offset=N for the others)');
        setAction({ kind: 'cut-at-handshake' });
        break;
      case 'cut-at-rdb': {
        const v = need();
        if (v.endsWith('%')) {
          const percent = Number(v.slice(0, -1));
          if (!(percent > 0 && percent < 100)) fail('cut-at-rdb percent must be between 0 and 100 (exclusive)');
          setAction({ kind: 'cut-at-rdb', percent, bytes: null });
        } else {
          setAction({ kind: 'cut-at-rdb', percent: null, bytes: positive(parseSize(v, fail), 'cut-at-rdb', fail) });
        }
        break;
      }
      case 'failover': {
        const how = need() as FailoverHow;
        if (!FAILOVER_HOWS.includes(how)) fail(`failover takes ${FAILOVER_HOWS.join(', ')}`);
        setAction({ kind: 'failover', how });
        break;
      }
      case 'revive':
        if (value !== null && value !== 'true') fail('revive takes no value');
        setAction({ kind: 'revive' });
        break;
      case 'cut-at-offset': {
        const offset = Number(need());
        if (!Number.isSafeInteger(offset) || offset < 0) fail('cut-at-offset must be a replication offset (a whole number)');
        setAction({ kind: 'cut-at-offset', offset });
        break;
      }
      default:
        fail(`unknown key ${JSON.stringify(key)}`);
    }
  }
  // set in setAction's closure: TypeScript cannot follow that
  const a = action as FaultAction | null;
  if (!a && !target) return fail('name a target: link=N or replica=N (or a failover=kill|sentinel|stop, which needs none)');
  if (!a) return fail('name an action: cut, freeze=, delay=, bandwidth=, slice=, cut-at=handshake, cut-at-rdb=, cut-at-offset=, failover=, revive, cluster-failover, kill-master, reshard=');
  if (slots !== null) {
    if (a.kind === 'reshard') a.slots = slots;
    else fail('slots= goes with reshard=');
  }
  const t = target as FaultTarget | null;
  const clusterTarget = t !== null && ('shard' in t || 'node' in t);
  if (isClusterFault(a)) {
    if (!clusterTarget) fail(`${a.kind} acts on a shard of the cluster lab: give shard=N or node=NAME`);
    return { target: t!, afterMs, action: a, text };
  }
  if (a.kind === 'revive') {
    if (t && !clusterTarget) fail('revive acts on the lab\'s servers: give no link= or replica=');
    return { target: t ?? { master: true }, afterMs, action: a, text };
  }
  if (isServerFault(a)) {
    if (t) fail(`${a.kind} acts on the master and its replicas: give no target`);
    return { target: { master: true }, afterMs, action: a, text };
  }
  if (!t) return fail('name a target: link=N or replica=N');
  if ('shard' in t) return fail('shard= goes with the cluster faults (cluster-failover, kill-master, reshard, revive): give link=N or node=NAME');
  return { target: t, afterMs, action: a, text };
}

/** The control interface's JSON form, e.g. {"replica":2,"freeze":"5s"} or {"link":3,"cut":true}, as a spec. */
export function faultSpecFromJson(body: unknown): FaultSpec {
  if (typeof body === 'string') return parseFaultSpec(body);
  if (!body || typeof body !== 'object' || Array.isArray(body)) return parseFaultSpec('');
  const o = body as Record<string, unknown>;
  if (typeof o.spec === 'string') return parseFaultSpec(o.spec);
  const parts = Object.entries(o).map(([k, v]) => (v === true ? k : `${k}=${String(v)}`));
  return parseFaultSpec(parts.join(','));
}

function positive(n: number, what: string, fail: (why: string) => never): number {
  return n >= 1 ? n : fail(`${what} must be at least 1 byte`);
}

/** A fault for a replica the lab does not have would wait for ever: refused (the lab's replicas are 1..count). */
export function checkReplicaTarget(spec: FaultSpec, count: number): void {
  if ('replica' in spec.target && spec.target.replica > count) {
    throw new ReplSpyError('RSPY_BAD_ARGS', `fault ${JSON.stringify(spec.text)}: there is no replica ${spec.target.replica}: the lab has ${count} (replica=1${count > 1 ? `..${count}` : ''}, #N on the screen)`);
  }
}

export function describeTarget(t: FaultTarget): string {
  if ('link' in t) return `link ${t.link}`;
  if ('replica' in t) return `replica ${t.replica}`;
  if ('shard' in t) return `shard ${t.shard}`;
  if ('node' in t) return t.node;
  return 'the master';
}

/** A fault of the other kind of lab is refused before it can wait for ever (`cluster`: the lab has --cluster). */
export function checkLabKind(spec: FaultSpec, cluster: boolean): void {
  const t = spec.target;
  const a = spec.action;
  const clustered = 'shard' in t || 'node' in t || isClusterFault(a);
  if (!cluster && clustered) {
    throw new ReplSpyError('RSPY_BAD_ARGS', `fault ${JSON.stringify(spec.text)}: shard=, node=, cluster-failover, kill-master and reshard are faults of the cluster lab (--cluster N)`);
  }
  if (cluster && a.kind === 'failover') {
    throw new ReplSpyError('RSPY_BAD_ARGS', `fault ${JSON.stringify(spec.text)}: the cluster lab has no Sentinel: use shard=N,cluster-failover or shard=N,kill-master`);
  }
}
