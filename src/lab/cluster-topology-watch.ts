// The cluster lab's view of its own shape: CLUSTER SHARDS read on the lab's direct connection to a node (the first
// that answers: after a failover the first may be dead) at start, every few seconds and when asked (a link closed:
// a failover may be under way), handed to the wire sink as a `cluster-topology` side event when it changed, so
// the live output, the capture and replay see it alike. Never in the forward path; a failure is logged once.
import { describeTopologyChange, parseClusterShards, topologyKey, type ClusterTopology, type TopologyNode } from '../core/cluster-topology.js';
import { wireNow } from '../core/clock.js';
import type { WireSink } from '../core/events.js';
import type { Reply } from '../net/resp-client.js';

export const TOPOLOGY_POLL_MS = 3000;

export interface TopologySource {
  /** "host:port" of the node */
  server: string;
  ask(command: string[]): Promise<Reply>;
}

export interface TopologyWatch {
  /** A reading now (the cluster formed, a link closed); resolves when it is done. */
  readNow(): Promise<void>;
  stop(): void;
}

/** What the lab knows of a node, by its announced "ip:port" (its proxy). */
export interface KnownNode {
  name: string;
  /** "host:port" it listens on */
  server: string;
}

export function watchClusterTopology(sources: TopologySource[], known: Map<string, KnownNode>, onWire: WireSink, warn: (message: string) => void): TopologyWatch {
  let last: ClusterTopology | null = null;
  let lastKey = '';
  let failing: string | null = null;
  let busy: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const name = (n: TopologyNode | null): void => {
    const k = n && known.get(n.address);
    if (!n || !k) return;
    n.name = k.name;
    n.server = k.server;
  };
  const readOnce = async (): Promise<void> => {
    const problems: string[] = [];
    for (const source of sources) {
      let topology: ClusterTopology;
      try {
        topology = parseClusterShards(await source.ask(['CLUSTER', 'SHARDS']));
      } catch (err) {
        problems.push(`${source.server}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      if (failing !== null) failing = null;
      for (const s of topology.shards) [s.master, ...s.replicas].forEach(name);
      const key = topologyKey(topology);
      if (key === lastKey) return;
      const at = wireNow();
      onWire({ kind: 'side-event', at, event: { type: 'cluster-topology', at, link: 0, source: source.server, change: describeTopologyChange(last, topology), shards: topology.shards } });
      last = topology;
      lastKey = key;
      return;
    }
    const text = `cluster topology not read (CLUSTER SHARDS): ${problems.join('; ')}`;
    if (failing === null) warn(text); // once per streak: the next success clears it
    failing = text;
  };
  const read = (): Promise<void> => {
    if (stopped) return Promise.resolve(); // the lab is stopping: its links close, nothing is left to read
    if (busy) {
      again = true; // one more after the reading under way: it may have started before the change
      return busy;
    }
    busy = readOnce().finally(() => {
      busy = null;
      if (again) {
        again = false;
        void read();
      }
    });
    return busy;
  };
  void read();
  const timer = setInterval(() => void read(), TOPOLOGY_POLL_MS);
  return {
    readNow: read,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
