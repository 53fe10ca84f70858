// The cluster lab's server faults, each on one shard: `cluster-failover` (CLUSTER FAILOVER [FORCE|TAKEOVER] on one
// of its replicas), `kill-master` (SIGKILL: the cluster promotes a replica after cluster-node-timeout), `revive`
// (a killed node started again: it rejoins as a replica of whoever holds its slots now) and `reshard` (a slot range
// and its keys moved to another shard, the steps of `redis-cli --cluster reshard`, with the lab's own client).
// Each shard's failover is told by its own FailoverStory from the events, as Sentinel's is in the plain lab.
import type { ClusterFailoverHow, ServerFault } from '../core/fault-action.js';
import { CLUSTER_NODE_TIMEOUT_MS, type ClusterLab, type ClusterNode, type ClusterShard } from './cluster.js';
import type { FailoverStory } from './failover-story.js';
import type { FaultSpec, FaultTarget } from './fault-spec.js';

/** keys a MIGRATE carries at once (redis-cli's default --cluster-pipeline is 10; more is faster, still small) */
const MIGRATE_BATCH = 100;
const MIGRATE_TIMEOUT_MS = 5000;

export class ClusterFaults {
  /** the slots each shard serves now (a reshard moves some) */
  private owned: number[][];
  private resharding = false;
  private formed = false;

  constructor(
    private readonly lab: ClusterLab,
    /** one story per shard, in the order of lab.shards */
    private readonly stories: FailoverStory[],
    private readonly password: string,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
    private readonly tell: (message: string) => void,
  ) {
    this.owned = lab.shards.map((s) => Array.from({ length: s.slots[1] - s.slots[0] + 1 }, (_, i) => s.slots[0] + i));
  }

  /** The cluster is made (cluster_state:ok, every replica known): the faults may act. */
  ready(): void {
    this.formed = true;
  }

  apply(action: ServerFault, spec: FaultSpec): string {
    // before, a CLUSTER FAILOVER would fail silently (the master does not know its replica yet)
    if (!this.formed) throw new Error(`${spec.text}: the cluster is still forming (the lab says cluster_state:ok when it is done): try again in a moment`);
    switch (action.kind) {
      case 'failover':
        throw new Error('the cluster lab has no Sentinel: use shard=N,cluster-failover or shard=N,kill-master');
      case 'revive':
        return this.revive(spec.target);
      case 'cluster-failover':
        return this.clusterFailover(action.how, spec.target);
      case 'kill-master':
        return this.killMaster(spec.target);
      case 'reshard':
        return this.reshard(this.shardOf(spec.target), action.toShard - 1, action.slots);
    }
  }

  /** The shard's master as far as its story knows (it follows the promotions). */
  masterOf(shard: number): ClusterNode {
    const name = this.stories[shard]!.currentMaster.name;
    return this.members(shard).find((n) => n.name === name)!;
  }

  /** What the lab's status tells: each shard's master now and the slots it serves. */
  status(): { shard: number; master: string; slots: string; down: string[] }[] {
    return this.lab.shards.map((_, i) => ({
      shard: i + 1,
      master: this.masterOf(i).name,
      slots: rangesText(this.owned[i]!),
      down: this.members(i).filter((n) => n.process.exited).map((n) => n.name),
    }));
  }

  private clusterFailover(how: ClusterFailoverHow, target: FaultTarget): string {
    const shard = this.shardOf(target);
    const master = this.masterOf(shard);
    const replica = 'node' in target ? this.node(target.node) : this.members(shard).find((n) => n !== master && !n.process.exited);
    if (!replica) throw new Error(`shard ${shard + 1} has no running replica to fail over to`);
    if (replica === master) throw new Error(`${replica.name} is the master of shard ${shard + 1}: name one of its replicas (or shard=${shard + 1})`);
    if (replica.process.exited) throw new Error(`${replica.name} is not running: revive it first`);
    const command = ['CLUSTER', 'FAILOVER', ...(how === 'graceful' ? [] : [how.toUpperCase()])];
    const masterRuns = !master.process.exited;
    this.stories[shard]!.startedBy(
      `${command.join(' ')} on ${replica.name} (${front(replica)}): it takes over shard ${shard + 1} from ${master.name}${masterRuns ? ', which stays up and becomes its replica' : ''}`,
      this.now(),
      { masterRuns, waitForOldMaster: masterRuns },
    );
    replica.process.client.send(command).catch((err: Error) => this.warn(`${command.join(' ')}: ${replica.name} refused: ${err.message}`));
    return `${command.join(' ')} sent to ${replica.name} (shard ${shard + 1}, master ${master.name})`;
  }

  private killMaster(target: FaultTarget): string {
    const shard = this.shardOf(target);
    const master = this.masterOf(shard);
    if ('node' in target && target.node !== master.name) throw new Error(`${target.node} is not the master of shard ${shard + 1} (${master.name} is)`);
    if (master.process.exited) throw new Error(`${master.name} is not running: revive brings it back`);
    this.stories[shard]!.startedBy(
      `SIGKILL ${master.name} (${front(master)}): its replicas promote one of them after cluster-node-timeout (${CLUSTER_NODE_TIMEOUT_MS} ms)`,
      this.now(),
      { masterRuns: false, waitForOldMaster: false },
    );
    const pid = master.process.pid;
    master.process.signal('SIGKILL');
    return `kill-master: SIGKILL ${master.name} (pid ${pid}, shard ${shard + 1}); revive restarts it as a replica`;
  }

  private revive(target: FaultTarget): string {
    const nodes = 'node' in target ? [this.node(target.node)] : 'shard' in target ? this.members(this.shardOf(target)) : this.lab.nodes;
    const back = nodes.filter((n) => n.process.exited);
    for (const n of back) {
      n.process
        .restart()
        // it forgets what it announced (CONFIG SET is not in its nodes.conf): its proxy, before it gossips much
        .then(() => n.process.client.send(['CONFIG', 'SET', 'cluster-announce-port', String(n.front.address().port), 'cluster-announce-bus-port', String(n.busPort)]))
        .catch((err: Error) => this.warn(`revive: ${n.name} did not start again: ${err.message}`));
    }
    return back.length > 0 ? `revive: ${back.map((n) => `${n.name} (restarted)`).join(', ')}` : 'revive: every node is running';
  }

  private reshard(from: number, to: number, count: number): string {
    if (to < 0 || to >= this.lab.shards.length) throw new Error(`there is no shard ${to + 1}: the lab has ${this.lab.shards.length}`);
    if (to === from) throw new Error(`reshard: shard ${from + 1} to itself moves nothing`);
    if (this.resharding) throw new Error('a reshard is under way: wait for it to finish');
    const source = this.masterOf(from);
    const target = this.masterOf(to);
    for (const n of [source, target]) if (n.process.exited) throw new Error(`${n.name} is not running: revive it first`);
    const owned = this.owned[from]!;
    if (owned.length < count) throw new Error(`shard ${from + 1} serves ${owned.length} slots, fewer than ${count}`);
    const slots = owned.slice(-count);
    const text = rangesText(slots);
    this.resharding = true;
    const started = this.now();
    this.moveSlots(slots, source, target)
      .then((keys) => {
        this.owned[from] = owned.slice(0, -count);
        this.owned[to] = [...this.owned[to]!, ...slots].sort((a, b) => a - b);
        this.tell(`reshard: slots ${text} (${count}) and ${keys} keys moved from ${source.name} to ${target.name} in ${Math.round(this.now() - started)} ms`);
      })
      .catch((err: Error) => this.warn(`reshard of slots ${text} from ${source.name} to ${target.name} stopped: ${err.message} (CLUSTER NODES on a node shows the slots left importing/migrating)`))
      .finally(() => (this.resharding = false));
    return `reshard: moving slots ${text} (${count}) with their keys from ${source.name} (shard ${from + 1}) to ${target.name} (shard ${to + 1})`;
  }

  /** redis-cli --cluster reshard's steps for each slot: IMPORTING on the target, MIGRATING on the source, the keys
   *  MIGRATEd in batches (through the target's proxy: the move is seen as a client link), then the slot's new
   *  owner told to every master. Resolves with the number of keys moved. */
  private async moveSlots(slots: number[], source: ClusterNode, target: ClusterNode): Promise<number> {
    const src = source.process.client;
    const dst = target.process.client;
    const port = target.front.address().port;
    let moved = 0;
    for (const slot of slots) {
      await dst.send(['CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id]);
      await src.send(['CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id]);
      for (;;) {
        const keys = (await src.send(['CLUSTER', 'GETKEYSINSLOT', slot, MIGRATE_BATCH])) as string[];
        if (keys.length === 0) break;
        await src.send(['MIGRATE', '127.0.0.1', port, '', 0, MIGRATE_TIMEOUT_MS, 'AUTH', this.password, 'KEYS', ...keys]);
        moved += keys.length;
      }
      const masters = this.lab.shards.map((_, i) => this.masterOf(i)).filter((m) => !m.process.exited);
      for (const m of [target, source, ...masters.filter((m) => m !== target && m !== source)]) {
        await m.process.client.send(['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]);
      }
    }
    return moved;
  }

  private members(shard: number): ClusterNode[] {
    const s: ClusterShard = this.lab.shards[shard]!;
    return [s.master, ...s.replicas];
  }

  private node(name: string): ClusterNode {
    const n = this.lab.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`there is no node ${name}: the lab has ${this.lab.nodes.map((x) => x.name).join(', ')}`);
    return n;
  }

  /** 0-based shard of a shard= or node= target. */
  private shardOf(target: FaultTarget): number {
    if ('shard' in target) {
      if (target.shard > this.lab.shards.length) throw new Error(`there is no shard ${target.shard}: the lab has ${this.lab.shards.length} (shard=1..${this.lab.shards.length})`);
      return target.shard - 1;
    }
    if ('node' in target) {
      const n = this.node(target.node);
      return this.lab.shards.findIndex((_, i) => this.members(i).includes(n));
    }
    throw new Error('give shard=N or node=NAME');
  }
}

function front(n: ClusterNode): string {
  const a = n.front.address();
  return `${a.host}:${a.port}`;
}

/** 5361-5460 or 0-9,20-29 */
export function rangesText(slots: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < slots.length; ) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++;
    parts.push(i === j ? `${slots[i]}` : `${slots[i]}-${slots[j]}`);
    i = j + 1;
  }
  return parts.join(',') || 'none';
}
