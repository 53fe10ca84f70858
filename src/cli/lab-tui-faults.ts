// The labs' faults as the TUI's keys ask for them: the link fault keys by link id (the ids the lab's registry gives
// out, as in the event stream and `link=N`), and `F`'s menu of server faults, written as --fault specs.
import { faultText, RESHARD_DEFAULT_SLOTS } from '../core/fault-action.js';
import type { FaultControl } from '../lab/fault-control.js';
import { parseFaultSpec, type FaultSpec } from '../lab/fault-spec.js';
import type { TuiFaults, TuiServerFaults } from '../tui/index.js';

export function tuiFaults(control: FaultControl): TuiFaults {
  return (link, action) => control.apply({ target: { link }, afterMs: 0, action, text: `link=${link},${faultText(action)}` });
}

/** The Sentinel lab's failovers (no target: they act on the master of the moment). */
export function sentinelServerFaults(apply: (spec: FaultSpec) => string): TuiServerFaults {
  const choices = ['failover=kill', 'failover=sentinel', 'failover=stop', 'revive'];
  return {
    menu: () => ({ title: 'server faults', choices }),
    run: (_target, i) => apply(parseFaultSpec(choices[i]!)),
  };
}

/** The cluster lab's faults of the selected link's shard: the shard of the node the link replicates from. */
export function clusterServerFaults(apply: (spec: FaultSpec) => string, shards: number, shardOf: (address: string) => number | null): TuiServerFaults {
  const choicesFor = (shard: number): string[] => [
    'cluster-failover', 'cluster-failover=force', 'cluster-failover=takeover', 'kill-master', 'revive',
    `reshard=${(shard % shards) + 1},slots=${RESHARD_DEFAULT_SLOTS}`,
  ];
  // the status line is short: the same choices, shorter
  const labelsFor = (shard: number): string[] => [
    'cluster-failover', '…=force', '…=takeover', 'kill-master', 'revive', `reshard ${RESHARD_DEFAULT_SLOTS} slots to shard ${(shard % shards) + 1}`,
  ];
  const shardOfTarget = (target: { masterAddr: string } | null): number | string => {
    if (!target) return 'select a replica\'s link first: the server faults act on its shard';
    return shardOf(target.masterAddr) ?? `${target.masterAddr} is not a node of the cluster`;
  };
  return {
    menu(target) {
      const shard = shardOfTarget(target);
      return typeof shard === 'string' ? shard : { title: `shard ${shard}`, choices: labelsFor(shard) };
    },
    run(target, i) {
      const shard = shardOfTarget(target);
      if (typeof shard === 'string') throw new Error(shard);
      return apply(parseFaultSpec(`shard=${shard},${choicesFor(shard)[i]!}`));
    },
  };
}
