// A Redis Cluster's shape from its own words: the reply of CLUSTER SHARDS (Redis 7: an array of shards, each a
// map of `slots` and `nodes`; RESP2 sends a map as a flat key/value array, RESP3 as a map) or the text of
// CLUSTER NODES (every Redis with cluster mode). Pure: a reply in, a topology out, or a clear error.
import { ReplSpyError } from './errors.js';

/** One node as the cluster names it. `address` is what it announces ("ip:port", its cluster-announce-port). */
export interface TopologyNode {
  id: string;
  address: string;
  role: 'master' | 'replica';
  /** CLUSTER SHARDS `health`: online, failed or loading; from CLUSTER NODES: fail / fail? flags read as failed */
  health: string;
  /** the replication offset it reported (CLUSTER NODES has none: null) */
  offset: number | null;
  /** a name given by whoever knows the node (the lab: `master-1`, `replica-1-1`) */
  name?: string;
  /** "host:port" the node itself listens on, when it is not `address` and is known (the lab: what its proxy dials,
   *  the `master` of the links to it) */
  server?: string;
}

/** Slots [first, last], inclusive. */
export type SlotRange = [number, number];

export interface TopologyShard {
  slots: SlotRange[];
  /** null: the shard has no master the cluster trusts (every master of it failed) */
  master: TopologyNode | null;
  replicas: TopologyNode[];
}

export interface ClusterTopology {
  /** ordered by first slot (shards without slots last), replicas by address: equal clusters compare equal */
  shards: TopologyShard[];
}

export class TopologyError extends ReplSpyError {
  override readonly name = 'TopologyError';

  constructor(message: string) {
    super('RSPY_CLUSTER_TOPOLOGY', message);
  }
}

type Fields = Map<string, unknown>;

/** A RESP2 flat [key, value, ...] array or a RESP3 map (a Map or a plain object) as key → value. */
function fieldsOf(value: unknown, where: string): Fields {
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [String(k), v]));
  if (Array.isArray(value)) {
    if (value.length % 2 !== 0) throw new TopologyError(`${where}: a key/value list of odd length ${value.length} (the reply is cut or not CLUSTER SHARDS)`);
    const out: Fields = new Map();
    for (let i = 0; i < value.length; i += 2) out.set(String(value[i]), value[i + 1]);
    return out;
  }
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value));
  throw new TopologyError(`${where}: expected a map, got ${describe(value)}`);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? `an array of ${v.length}` : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}

function need<T>(f: Fields, key: string, where: string, check: (v: unknown) => v is T, what: string): T {
  const v = f.get(key);
  if (!check(v)) throw new TopologyError(`${where}: "${key}" is ${v === undefined ? 'missing' : describe(v)}, expected ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isPort = (v: unknown): v is number | string => Number.isSafeInteger(Number(v)) && Number(v) >= 0 && Number(v) <= 65535 && v !== null && v !== '';
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function slotOf(v: unknown, where: string): number {
  const n = Number(v);
  if (v === null || v === '' || !Number.isSafeInteger(n) || n < 0 || n > 16383) throw new TopologyError(`${where}: slot ${describe(v)} is not a slot (0 to 16383)`);
  return n;
}

/** Parses the reply of CLUSTER SHARDS. Throws TopologyError saying what is wrong where. */
export function parseClusterShards(reply: unknown): ClusterTopology {
  if (!Array.isArray(reply)) throw new TopologyError(`CLUSTER SHARDS: expected an array of shards, got ${describe(reply)}`);
  const shards = reply.map((raw, i): TopologyShard => {
    const where = `CLUSTER SHARDS shard ${i + 1}`;
    const f = fieldsOf(raw, where);
    const flat = need(f, 'slots', where, isArray, 'a list of slot pairs');
    if (flat.length % 2 !== 0) throw new TopologyError(`${where}: "slots" has an odd count ${flat.length} (pairs of first and last slot)`);
    const slots: SlotRange[] = [];
    for (let s = 0; s < flat.length; s += 2) {
      const range: SlotRange = [slotOf(flat[s], where), slotOf(flat[s + 1], where)];
      if (range[0] > range[1]) throw new TopologyError(`${where}: slot range ${range[0]}-${range[1]} runs backwards`);
      slots.push(range);
    }
    const nodes = need(f, 'nodes', where, isArray, 'a list of nodes').map((n, j) => {
      const at = `${where} node ${j + 1}`;
      const nf = fieldsOf(n, at);
      const id = need(nf, 'id', at, isString, 'a node id');
      const role = need(nf, 'role', at, isString, '"master" or "replica"');
      if (role !== 'master' && role !== 'replica') throw new TopologyError(`${at}: role ${JSON.stringify(role)} is neither master nor replica`);
      const ip = nf.get('ip') ?? nf.get('endpoint');
      if (!isString(ip)) throw new TopologyError(`${at}: no "ip" or "endpoint"`);
      const port = nf.has('port') ? need(nf, 'port', at, isPort, 'a port') : need(nf, 'tls-port', at, isPort, 'a port');
      const offset = Number(nf.get('replication-offset'));
      const node: TopologyNode = { id, address: `${ip}:${port}`, role, health: String(nf.get('health') ?? 'online'), offset: Number.isSafeInteger(offset) ? offset : null };
      return node;
    });
    return shardOf(slots, nodes);
  });
  return ordered(shards);
}

/** Parses the text of CLUSTER NODES: `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`. */
export function parseClusterNodes(text: string): ClusterTopology {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) throw new TopologyError('CLUSTER NODES: empty reply');
  const rows = lines.map((line, i) => {
    const where = `CLUSTER NODES line ${i + 1}`;
    const parts = line.split(' ');
    if (parts.length < 8) throw new TopologyError(`${where}: ${parts.length} fields, expected at least 8 (the reply is cut or not CLUSTER NODES): ${JSON.stringify(line.slice(0, 80))}`);
    const [id, addr, flagText, masterId, , , , , ...slotTexts] = parts as [string, string, string, string, ...string[]];
    const m = /^(.*):(\d+)@\d+/.exec(addr);
    if (!m) throw new TopologyError(`${where}: address ${JSON.stringify(addr)} is not ip:port@cport`);
    const flags = flagText.split(',');
    const role = flags.includes('master') ? 'master' : flags.includes('slave') ? 'replica' : null;
    const slots: SlotRange[] = [];
    for (const s of slotTexts) {
      if (s.startsWith('[')) continue; // a slot being migrated or imported: owned by the range that holds it
      const [a, b = a] = s.split('-');
      slots.push([slotOf(a, where), slotOf(b, where)]);
    }
    const health = flags.includes('fail') ? 'failed' : flags.includes('fail?') ? 'failing' : flags.includes('noaddr') ? 'noaddr' : 'online';
    return { id, address: `${m[1]}:${m[2]}`, role, health, masterId, slots };
  });
  const shards: TopologyShard[] = [];
  for (const r of rows) {
    if (r.role !== 'master') continue;
    const master: TopologyNode = { id: r.id, address: r.address, role: 'master', health: r.health, offset: null };
    const replicas = rows.filter((x) => x.role === 'replica' && x.masterId === r.id).map((x): TopologyNode => ({ id: x.id, address: x.address, role: 'replica', health: x.health, offset: null }));
    shards.push({ slots: r.slots, master, replicas });
  }
  return ordered(shards);
}

function shardOf(slots: SlotRange[], nodes: TopologyNode[]): TopologyShard {
  // CLUSTER SHARDS lists a failed master with role master: the one that is online is the master
  const masters = nodes.filter((n) => n.role === 'master');
  const master = masters.find((n) => n.health === 'online') ?? masters[0] ?? null;
  return { slots, master, replicas: nodes.filter((n) => n !== master) };
}

function ordered(shards: TopologyShard[]): ClusterTopology {
  for (const s of shards) {
    s.slots.sort((a, b) => a[0] - b[0]);
    s.replicas.sort((a, b) => a.address.localeCompare(b.address));
  }
  const first = (s: TopologyShard): number => s.slots[0]?.[0] ?? Infinity;
  return { shards: shards.sort((a, b) => first(a) - first(b) || (a.master?.address ?? '').localeCompare(b.master?.address ?? '')) };
}

/** The shape that matters for a change: who is master of which slots, who replicates, their health (offsets
 *  move all the time and are not a change). */
export function topologyKey(t: ClusterTopology): string {
  const node = (n: TopologyNode | null): string => (n ? `${n.id}@${n.address}/${n.health}` : '-');
  return t.shards.map((s) => `${s.slots.map((r) => r.join('-')).join(',')}:${node(s.master)}<${s.replicas.map(node).join('|')}`).join(' ');
}

/** "0-5460,5462" */
export function slotRangesText(slots: SlotRange[]): string {
  return slots.length === 0 ? 'no slots' : slots.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
}

/** What changed from `before` to `after`, in a sentence: masters of slot ranges, nodes' health, replicas that came
 *  or went ("first sight" without a before). */
export function describeTopologyChange(before: ClusterTopology | null, after: ClusterTopology): string {
  if (!before) return 'first sight';
  const label = (n: TopologyNode): string => n.name ?? n.address;
  const nodes = (t: ClusterTopology): Map<string, { node: TopologyNode; shard: TopologyShard }> =>
    new Map(t.shards.flatMap((shard) => [shard.master, ...shard.replicas].filter((n): n is TopologyNode => n !== null).map((node) => [node.id, { node, shard }])));
  const was = nodes(before);
  const now = nodes(after);
  const said: string[] = [];
  for (const s of after.shards) {
    if (s.master && was.get(s.master.id)?.node.role !== 'master') said.push(`${label(s.master)} is master of ${slotRangesText(s.slots)}`);
  }
  for (const [id, { node }] of now) {
    const old = was.get(id);
    if (!old) {
      if (node.role === 'replica') said.push(`${label(node)} joined as a replica`); // a new master was told above
    }
    else if (old.node.health !== node.health) said.push(`${label(node)} is ${node.health}`);
    else if (old.node.role === 'master' && node.role === 'replica') said.push(`${label(node)} is a replica`);
    else if (slotRangesText(old.shard.slots) !== slotRangesText(now.get(id)!.shard.slots) && node.role === 'master') said.push(`${label(node)} serves ${slotRangesText(now.get(id)!.shard.slots)}`);
  }
  for (const [id, { node }] of was) if (!now.has(id)) said.push(`${label(node)} is gone`);
  return said.length ? said.join('; ') : 'shards changed';
}
