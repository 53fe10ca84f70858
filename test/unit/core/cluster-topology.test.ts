// The cluster topology parser against replies recorded from a real Redis 7.0.15 cluster of 3 masters with a
// replica each (the cluster lab: every node announces its proxy's port), and against cut or foreign replies.
import { describe, expect, it } from 'vitest';
import { parseClusterNodes, parseClusterShards, slotRangesText, topologyKey, TopologyError } from '../../../src/core/cluster-topology.js';

// CLUSTER SHARDS as RESP2 sends it (maps as flat key/value arrays), read by the lab's RespClient
const SHARDS: unknown = [["slots",[5461,10921],"nodes",[["id","4e32b6268695a2d2a2f649c85126451e44df60c0","port",43041,"ip","127.0.0.1","endpoint","127.0.0.1","role","master","replication-offset",14,"health","online"],["id","5ef8b0544c3683f13880f558a5e134ebb8c5dc4e","port",33889,"ip","127.0.0.1","endpoint","127.0.0.1","role","replica","replication-offset",14,"health","online"]]],["slots",[0,5460],"nodes",[["id","01383df8b7319422c4c36f1828a59fa03f57c7cd","port",43543,"ip","127.0.0.1","endpoint","127.0.0.1","role","master","replication-offset",14,"health","online"],["id","0890418fb3c3b2e20f6d2a2ed8a712223895dafa","port",46017,"ip","127.0.0.1","endpoint","127.0.0.1","role","replica","replication-offset",14,"health","online"]]],["slots",[10922,16383],"nodes",[["id","65d56e61a361a2c32e6480f059bfb47c21c0cfe1","port",44781,"ip","127.0.0.1","endpoint","127.0.0.1","role","master","replication-offset",14,"health","online"],["id","cb05ce89c64149b1e0ed61d790127379b3e9a4f0","port",38755,"ip","127.0.0.1","endpoint","127.0.0.1","role","replica","replication-offset",14,"health","online"]]]];

const NODES = `4e32b6268695a2d2a2f649c85126451e44df60c0 127.0.0.1:43041@38637 master - 0 1796393539600 0 connected 5461-10921
0890418fb3c3b2e20f6d2a2ed8a712223895dafa 127.0.0.1:46017@34377 slave 01383df8b7319422c4c36f1828a59fa03f57c7cd 0 1796393538993 1 connected
cb05ce89c64149b1e0ed61d790127379b3e9a4f0 127.0.0.1:38755@46197 slave 65d56e61a361a2c32e6480f059bfb47c21c0cfe1 0 1796393538592 3 connected
01383df8b7319422c4c36f1828a59fa03f57c7cd 127.0.0.1:43543@35663 myself,master - 0 1796393539000 1 connected 0-5460
65d56e61a361a2c32e6480f059bfb47c21c0cfe1 127.0.0.1:44781@39899 master - 0 1796393539000 3 connected 10922-16383
5ef8b0544c3683f13880f558a5e134ebb8c5dc4e 127.0.0.1:33889@44127 slave 4e32b6268695a2d2a2f649c85126451e44df60c0 0 1796393539000 0 connected
`;

describe('parseClusterShards', () => {
  it('reads the recorded reply: three shards by first slot, a master and a replica each, offsets and health', () => {
    const t = parseClusterShards(SHARDS);
    expect(t.shards.map((s) => slotRangesText(s.slots))).toEqual(['0-5460', '5461-10921', '10922-16383']);
    expect(t.shards[0]).toEqual({
      slots: [[0, 5460]],
      master: { id: '01383df8b7319422c4c36f1828a59fa03f57c7cd', address: '127.0.0.1:43543', role: 'master', health: 'online', offset: 14 },
      replicas: [{ id: '0890418fb3c3b2e20f6d2a2ed8a712223895dafa', address: '127.0.0.1:46017', role: 'replica', health: 'online', offset: 14 }],
    });
  });

  it('reads a RESP3 map shape alike (Map and plain objects)', () => {
    const asMap = (SHARDS as unknown[][]).map((s) => {
      const f = new Map<string, unknown>();
      for (let i = 0; i < s.length; i += 2) f.set(String(s[i]), s[i + 1]);
      const nodes = (f.get('nodes') as unknown[][]).map((n) => Object.fromEntries(Array.from({ length: n.length / 2 }, (_, i) => [n[2 * i], n[2 * i + 1]])));
      return new Map([...f, ['nodes', nodes]]);
    });
    expect(parseClusterShards(asMap)).toEqual(parseClusterShards(SHARDS));
  });

  it('agrees with CLUSTER NODES of the same moment on who serves which slots', () => {
    const fromNodes = parseClusterNodes(NODES);
    const strip = (t: ReturnType<typeof parseClusterShards>) => t.shards.map((s) => [s.slots, s.master?.address, s.replicas.map((r) => r.address)]);
    expect(strip(fromNodes)).toEqual(strip(parseClusterShards(SHARDS)));
    expect(fromNodes.shards[0]!.master!.offset).toBeNull();
  });

  it('a failed master: the online node is the master, the change shows in the key', () => {
    const before = parseClusterShards(SHARDS);
    const failed = structuredClone(SHARDS) as unknown[][];
    const nodes = failed[1]![3] as unknown[][];
    nodes[0]![13] = 'fail'; // the old master, still listed with role master
    nodes[1]![9] = 'master'; // the promoted replica
    const after = parseClusterShards(failed);
    expect(after.shards[0]!.master!.address).toBe('127.0.0.1:46017');
    expect(after.shards[0]!.replicas.map((r) => [r.address, r.health])).toEqual([['127.0.0.1:43543', 'fail']]);
    expect(topologyKey(after)).not.toBe(topologyKey(before));
    const moved = structuredClone(SHARDS) as unknown[][];
    ((moved[0]![3] as unknown[][])[0]!)[11] = 999; // an offset moved: not a change
    expect(topologyKey(parseClusterShards(moved))).toBe(topologyKey(before));
  });

  it('bad or cut replies: a TopologyError that says what and where, never a crash', () => {
    const cases: [unknown, RegExp][] = [
      ['ERR This instance has cluster support disabled', /expected an array of shards, got string/],
      [null, /expected an array of shards, got null/],
      [[['slots', [0, 5460], 'nodes']], /shard 1: a key\/value list of odd length 3/],
      [[['slots', [0], 'nodes', []]], /shard 1: "slots" has an odd count 1/],
      [[['slots', [0, 99999], 'nodes', []]], /slot number 99999 is not a slot/],
      [[['slots', [10, 5], 'nodes', []]], /runs backwards/],
      [[['nodes', []]], /shard 1: "slots" is missing/],
      [[['slots', [], 'nodes', [['id', 'x', 'port', 1, 'ip', '127.0.0.1', 'role', 'leader']]]], /node 1: role "leader" is neither/],
      [[['slots', [], 'nodes', [['id', 'x', 'role', 'master']]]], /node 1: no "ip" or "endpoint"/],
      [[['slots', [], 'nodes', [['port', 1, 'ip', 'a', 'role', 'master']]]], /node 1: "id" is missing/],
      [(SHARDS as unknown[]).map((s) => (s as unknown[]).slice(0, 3)), /odd length 3/],
    ];
    for (const [reply, message] of cases) {
      expect(() => parseClusterShards(reply)).toThrow(TopologyError);
      expect(() => parseClusterShards(reply)).toThrow(message);
    }
  });
});

describe('parseClusterNodes', () => {
  it('reads the recorded text; flags fail and fail? read as failed and failing', () => {
    const t = parseClusterNodes(NODES);
    expect(t.shards.map((s) => [slotRangesText(s.slots), s.master!.address, s.replicas.length])).toEqual([
      ['0-5460', '127.0.0.1:43543', 1],
      ['5461-10921', '127.0.0.1:43041', 1],
      ['10922-16383', '127.0.0.1:44781', 1],
    ]);
    const failing = NODES.replace('myself,master', 'myself,master,fail?');
    expect(parseClusterNodes(failing).shards[0]!.master!.health).toBe('failing');
  });

  it('a cut line or a foreign text: a TopologyError naming the line', () => {
    expect(() => parseClusterNodes('')).toThrow(/empty reply/);
    expect(() => parseClusterNodes(NODES.slice(0, 60))).toThrow(/line 1: \d fields, expected at least 8/);
    expect(() => parseClusterNodes('a b c d e f g h')).toThrow(/line 1: address "b" is not ip:port@cport/);
    expect(() => parseClusterNodes(NODES.replace('5461-10921', '5461-x'))).toThrow(/slot string "x" is not a slot/);
  });
});
