// The links view of a cluster: with a cluster-topology known, replica links are grouped under their shard (its
// slots, master and replicas as the cluster tells them), links of no known shard after, by master as before.
import { describe, expect, it } from 'vitest';
import type { ClusterTopologyEvent, ReplEvent } from '../../../src/core/events.js';
import { linksHeader, linksLines, shardLine } from '../../../src/tui/format/links-view.js';
import { linksItems, linkOrder } from '../../../src/tui/model/links.js';
import { apply, createTuiState } from '../../../src/tui/model/state.js';
import { REPLID, T0 } from './scenario.js';

const node = (n: number, name: string, role: 'master' | 'replica', health = 'online') => ({
  id: String(n).repeat(40),
  address: `127.0.0.1:${7100 + n}`, // the proxy the node announces
  server: `127.0.0.1:${7000 + n}`, // where it listens: what its proxy dials
  role,
  health,
  offset: 1200,
  name,
});

const topology: ClusterTopologyEvent = {
  type: 'cluster-topology',
  at: T0 + 50,
  link: 0,
  source: '127.0.0.1:7001',
  change: 'first sight',
  shards: [
    { slots: [[0, 8191]], master: node(1, 'master-1', 'master'), replicas: [node(2, 'replica-1-1', 'replica')] },
    { slots: [[8192, 16383]], master: node(3, 'master-2', 'master'), replicas: [node(4, 'replica-2-1', 'replica', 'loading')] },
  ],
};

/** A replica link to `master` that continued and acknowledged (lag `lag` bytes). */
function replicaLink(link: number, master: string, port: number, lag: number): ReplEvent[] {
  const at = T0 + link * 10;
  return [
    { type: 'link-open', link, at, replica: `127.0.0.1:${50000 + link}`, master },
    { type: 'replica-command', link, at: at + 1, argv: ['REPLCONF', 'listening-port', String(port)], pos: 0, end: 0 },
    { type: 'psync', link, at: at + 2, pos: 0, end: 0, replid: REPLID, offset: 1001 },
    { type: 'continue', link, at: at + 3, pos: 0, end: 0, replid: REPLID, offset: 1001, reasonCode: 'within-backlog', reason: 'within the backlog' },
    { type: 'ack', link, at: at + 4, pos: 0, end: 0, offset: 1200 - lag, lagBytes: lag, lagMs: lag ? 3 : 0 },
  ];
}

function state(events: ReplEvent[]) {
  const s = createTuiState();
  for (const e of events) apply(s, e);
  return s;
}

const links = [
  ...replicaLink(1, '127.0.0.1:7003', 7104, 0), // replica-2-1, to master-2
  ...replicaLink(2, '127.0.0.1:7001', 7102, 64), // replica-1-1, to master-1
  ...replicaLink(3, '127.0.0.1:6379', 6380, 0), // a master not in the topology
];

describe('links view grouped by shard', () => {
  it('without a topology: by master, as before', () => {
    const items = linksItems(state(links));
    expect(items.filter((i) => i.kind === 'master').map((i) => i.kind === 'master' && i.master)).toEqual(['127.0.0.1:7003', '127.0.0.1:7001', '127.0.0.1:6379']);
    expect(items.some((i) => i.kind === 'shard')).toBe(false);
  });

  it('with a topology: each shard, then its master\'s replica links; a link of no shard after, under its master', () => {
    const s = state([...links, topology]);
    const items = linksItems(s);
    expect(items.map((i) => (i.kind === 'replica' ? `#${i.row.link}` : i.kind === 'shard' ? `shard ${i.shard.slots[0]![0]}` : i.kind === 'master' ? `master ${i.master}` : i.kind))).toEqual([
      'shard 0', '#2', 'shard 8192', '#1', 'master 127.0.0.1:6379', '#3',
    ]);
    expect(linkOrder(s)).toEqual([2, 1, 3]); // the selection moves in screen order
    for (const width of [80, 120]) {
      const { lines } = linksLines(items, width);
      for (const line of lines) expect(line).toHaveLength(width);
      expect([linksHeader(width, false), ...lines].join('\n')).toMatchSnapshot(`width ${width}`);
    }
  });

  it('a shard line fits any width and tells a failed master and a shard without one', () => {
    const failed = { ...topology.shards[0]!, master: node(2, 'replica-1-1', 'master'), replicas: [node(1, 'master-1', 'replica', 'fail')] };
    expect(shardLine(failed, 1, 100).trimEnd()).toBe('shard 0-8191  master replica-1-1 127.0.0.1:7102  replicas master-1 (fail)                     1 link');
    expect(shardLine({ slots: [], master: null, replicas: [] }, 0, 40).trimEnd()).toBe('shard no slots  master none      0 links');
    for (const width of [20, 40, 200]) expect(shardLine(failed, 2, width)).toHaveLength(width);
  });

  it('a newer topology replaces the older: after a failover the links follow the new master', () => {
    const after: ClusterTopologyEvent = { ...topology, at: T0 + 90, change: 'replica-1-1 is master of 0-8191', shards: [{ slots: [[0, 8191]], master: node(2, 'replica-1-1', 'master'), replicas: [node(1, 'master-1', 'replica', 'fail')] }, topology.shards[1]!] };
    const s = state([...links, topology, after, ...replicaLink(4, '127.0.0.1:7002', 7101, 0)]);
    const items = linksItems(s);
    const first = items.findIndex((i) => i.kind === 'shard');
    expect(items[first]).toMatchObject({ kind: 'shard', links: 1 });
    expect(items[first + 1]).toMatchObject({ kind: 'replica', row: { link: 4 } });
  });
});
