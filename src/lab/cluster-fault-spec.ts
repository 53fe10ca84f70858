// The cluster lab's reading of a fault spec (fault-spec.ts): which targets and actions it takes, checked before any
// server starts (for --fault) or before it acts (the control interface). Pure.
//   link faults:     link=N, replica=N (the N-th node as printed, masters too: a master can become a replica),
//                    node=NAME (turned into that node's replica=N)
//   cluster faults:  shard=N or node=NAME with cluster-failover, kill-master, reshard=M, revive (revive: any target)
import { ReplSpyError } from '../core/errors.js';
import { checkLabKind, checkReplicaTarget, type FaultSpec } from './fault-spec.js';

export function resolveClusterSpec(spec: FaultSpec, nodeNames: readonly string[], shards: number): FaultSpec {
  const fail = (why: string): never => {
    throw new ReplSpyError('RSPY_BAD_ARGS', `fault ${JSON.stringify(spec.text)}: ${why}`, {
      hint: 'e.g. "shard=2,cluster-failover", "shard=1,kill-master", "node=master-1,revive", "shard=1,reshard=2,slots=50", "node=replica-1-1,cut"',
    });
  };
  checkLabKind(spec, true);
  const t = spec.target;
  if ('shard' in t && t.shard > shards) fail(`there is no shard ${t.shard}: the lab has ${shards} (shard=1..${shards})`);
  if ('node' in t && !nodeNames.includes(t.node)) fail(`there is no node ${t.node}: the lab has ${nodeNames.join(', ')}`);
  const a = spec.action;
  if (a.kind === 'reshard' && a.toShard > shards) fail(`there is no shard ${a.toShard} to move slots to: the lab has ${shards}`);
  checkReplicaTarget(spec, nodeNames.length);
  const isServer = a.kind === 'revive' || a.kind === 'cluster-failover' || a.kind === 'kill-master' || a.kind === 'reshard';
  if (!isServer && 'node' in t) return { ...spec, target: { replica: nodeNames.indexOf(t.node) + 1 } };
  return spec;
}
