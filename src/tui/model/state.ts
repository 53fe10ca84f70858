import type { ClusterTopologyEvent, FailoverEvent, ReplEvent } from '../../core/events.js';
import { announcedPort, hostOf } from '../../decode/analysis/listening-port.js';
import { applyClientEvent, createClientTally, type ClientTally } from './clients.js';
import { toCommandEntry, type CommandEntry } from './command-entry.js';
import { Ring } from './ring.js';
import { addToRate, createRateSeries, type RateSeries } from './rates.js';
import {
  addRdbFacts,
  createReplica,
  mergeRdbChannel,
  noteFault,
  pushHandshake,
  type ReplicaRecord,
  type SnapshotGroup,
} from './replica.js';

// The TUI model: everything the screen shows, updated by `apply` in O(1) per event (pairing and snapshot grouping
// touch the records of one snapshot; closed replicas are found by index, never by a walk over all of them). `apply` mutates the state in place — it is pure in
// the sense that matters here: no clock, no I/O, the same events always give the same state.

export interface TuiLimits {
  /** commands kept across all links */
  commands: number;
  /** commands kept per link, for the link detail */
  perLinkCommands: number;
  /** closed replicas kept on the links view before the oldest are forgotten */
  closedReplicas: number;
}

/** failover steps kept for the links view */
const FAILOVER_STEPS = 16;

export const DEFAULT_LIMITS: TuiLimits = { commands: 10_000, perLinkCommands: 200, closedReplicas: 50 };

/** The number a command gives the replica that announces this listening port (the lab's replica=N), if any. */
export type ReplicaNumbering = (announcedPort: string) => number | null;

export interface TuiState {
  limits: TuiLimits;
  /** the lab numbers its replicas: the screen shows those numbers (#N) rather than link ids */
  replicaNumber: ReplicaNumbering | null;
  /** latest event time seen: the "now" of every duration and rate, so replay and live read the same */
  now: number;
  firstAt: number | null;
  events: number;
  /** replicas by main link, in order of appearance */
  replicas: Map<number, ReplicaRecord>;
  /** record that owns each link (an RDB channel belongs to its main channel's record once paired) */
  owner: Map<number, ReplicaRecord>;
  groups: Map<string, SnapshotGroup>;
  commands: Ring<CommandEntry>;
  rates: RateSeries;
  /** capture losses in progress ("link/direction" → reason): the header says so while any is open */
  captureLosing: Map<string, string>;
  /** closed main links, oldest close first, for forgetting the oldest */
  closedLinks: Ring<number>;
  /** closed replicas not yet back on a new link, by "host:announced port" */
  awaitingReturn: Map<string, ReplicaRecord[]>;
  /** client links (not replicas): summarised */
  clients: ClientTally;
  /** the steps of failovers (the lab's Sentinel story), newest last when read from the ring */
  failover: Ring<FailoverEvent>;
  /** the cluster's shards, last told (a cluster-topology event); null: not a cluster, or not known */
  topology: ClusterTopologyEvent | null;
}

export function createTuiState(limits: Partial<TuiLimits> = {}, replicaNumber: ReplicaNumbering | null = null): TuiState {
  const l = { ...DEFAULT_LIMITS, ...limits };
  return {
    limits: l,
    replicaNumber,
    now: 0,
    firstAt: null,
    events: 0,
    replicas: new Map(),
    owner: new Map(),
    groups: new Map(),
    commands: new Ring<CommandEntry>(l.commands),
    rates: createRateSeries(),
    captureLosing: new Map(),
    closedLinks: new Ring<number>(Math.max(1, l.closedReplicas)),
    awaitingReturn: new Map(),
    clients: createClientTally(),
    failover: new Ring<FailoverEvent>(FAILOVER_STEPS),
    topology: null,
  };
}

function recordOf(s: TuiState, link: number, at: number): ReplicaRecord {
  let r = s.owner.get(link);
  if (!r) {
    // A link seen before its link-open (a capture that starts mid-session): show it anyway.
    r = createReplica(link, at, '?', '?', s.limits.perLinkCommands);
    s.owner.set(link, r);
    s.replicas.set(link, r);
  }
  return r;
}

export function apply(s: TuiState, e: ReplEvent): TuiState {
  s.events++;
  if (e.at > s.now) s.now = e.at;
  s.firstAt ??= e.at;

  if (applyClientEvent(s.clients, e)) return s;
  if (e.type === 'link-open') {
    const r = createReplica(e.link, e.at, e.replica, e.master, s.limits.perLinkCommands);
    r.tls = e.tls ?? null;
    s.owner.set(e.link, r);
    s.replicas.set(e.link, r);
    return s;
  }
  if (e.type === 'shared-snapshot') {
    setGroup(s, e.snapshot, e.replid, e.offset, e.links);
    return s;
  }
  if (e.type === 'link-pair') {
    pair(s, e.mainLink, e.rdbLink);
    return s;
  }
  if (e.type === 'cluster-topology') {
    s.topology = e;
    return s;
  }
  if (e.type === 'failover') {
    s.failover.push(e); // of the topology, not of one replica's record
    return s;
  }

  const r = recordOf(s, e.link, e.at);
  const channel = r.link === e.link ? 'main' : 'rdb';
  switch (e.type) {
    case 'replica-command': {
      const port = announcedPort(e.argv); // also when several options share one REPLCONF (Redis 8 rdb channel)
      if (port !== null) {
        r.announcedPort = port;
        linkPredecessors(s, r);
      }
      pushHandshake(r, { at: e.at, from: 'replica', channel, text: e.argv.join(' ') });
      break;
    }
    case 'master-reply':
      pushHandshake(r, { at: e.at, from: 'master', channel, text: e.reply });
      break;
    case 'psync':
      r.psyncAt ??= e.at;
      r.psyncAsk ??= { replid: e.replid, offset: e.offset };
      break;
    case 'fullresync':
    case 'endoff':
      // +FULLRESYNC, or Valkey's $ENDOFF on the RDB channel: a full sync from this replid and offset.
      r.syncKind = 'full';
      r.syncAt ??= e.at;
      if (e.type === 'fullresync' && e.reason !== undefined) r.syncReason = e.reason;
      if (e.type === 'fullresync' && e.reasonCode !== undefined) r.syncReasonCode = e.reasonCode;
      r.replid = e.replid;
      r.syncOffset = e.offset;
      break;
    case 'continue':
      // After a two-channel full sync the main channel's +CONTINUE only resumes the stream: still a full sync.
      if (r.twoChannel === null && r.syncKind === null) r.syncKind = 'partial';
      r.syncAt ??= e.at;
      if (e.reason !== undefined) r.syncReason = e.reason;
      if (e.reasonCode !== undefined) r.syncReasonCode = e.reasonCode;
      r.replid ??= e.replid;
      r.syncOffset ??= e.offset;
      break;
    case 'rdb-channel-sync':
      r.twoChannel = e.flavor;
      r.syncAt ??= e.at;
      break;
    case 'keepalive':
      if (e.from === 'master' && r.rdbStartAt === null) r.keepalives++;
      break;
    case 'rdb-start':
      r.rdbMode = e.mode;
      r.rdbSize = e.size;
      r.rdbStartAt = e.at;
      r.rdbWaitMs = e.waitMs;
      r.keepalives = Math.max(r.keepalives, e.keepalives);
      r.rdbBytes = 0;
      r.rdbBytesAt = e.at;
      break;
    case 'rdb-progress':
      r.rdbBytes = e.bytes;
      r.rdbBytesAt = e.at;
      if (e.size !== null) r.rdbSize = e.size;
      break;
    case 'rdb-end':
      r.rdbBytes = e.bytes;
      r.rdbBytesAt = e.at;
      r.rdbEndAt = e.at;
      r.rdbDurationMs = e.durationMs;
      r.rdbBytesPerSec = e.bytesPerSec;
      break;
    case 'rdb-info':
      addRdbFacts(r, e.phase === 'error' ? 'error.' : '', e.info);
      break;
    case 'command': {
      const entry = toCommandEntry(e, s.commands.total);
      s.commands.push(entry);
      r.commands.push(entry);
      r.masterOffset = e.offset;
      addToRate(s.rates, e.at, e.bytes);
      addToRate(r.rates, e.at, e.bytes);
      break;
    }
    case 'ack':
      r.ackOffset = e.offset;
      r.ackAt = e.at;
      r.lagBytes = e.lagBytes;
      r.lagMs = e.lagMs;
      if (r.firstAckAt === null && (r.syncKind === 'partial' || r.rdbEndAt !== null)) {
        r.firstAckAt = e.at;
        if (e.loadMs !== undefined) r.loadMs = e.loadMs;
      }
      if (r.firstAckAt !== null && r.caughtUpAt === null && e.lagBytes === 0) r.caughtUpAt = e.at;
      break;
    case 'lag':
      r.ackOffset = e.ackOffset;
      r.lagBytes = e.lagBytes;
      r.lagMs = e.lagMs;
      break;
    case 'ack-silence':
      r.ackSilentSince = e.lastAckAt;
      break;
    case 'ack-resumed':
      r.ackSilentSince = null;
      break;
    case 'protocol-violation':
      r.violations++;
      r.lastViolation = `${e.code} at ${e.from} byte ${e.pos}: ${e.message}`;
      break;
    case 'gap':
      r.gapBytes += e.bytes;
      break;
    case 'capture-loss': {
      const key = `${e.link}/${e.from}`;
      if (e.state === 'started') {
        s.captureLosing.set(key, e.reason);
        r.captureLosing = e.reason;
      } else {
        s.captureLosing.delete(key);
        r.captureLosing = null;
        r.captureLostBytes += e.bytes;
      }
      break;
    }
    case 'fault':
      if (channel === 'main') noteFault(r, e.fault, e.detail);
      else r.lastFault = `${e.fault} on the rdb channel`;
      break;
    case 'sync-loop':
      r.loop = { count: e.count, sinceAt: e.sinceAt, pattern: e.pattern };
      break;
    case 'link-close':
      if (channel === 'rdb') r.rdbClosedAt = e.at;
      else {
        r.closeAt = e.at;
        r.closeReason = `${e.by}: ${e.reason}`;
        if (r.announcedPort !== null) returnKey(s, r).push(r);
        forgetOldClosed(s, r.link);
      }
      break;
  }
  return s;
}

function pair(s: TuiState, mainLink: number, rdbLink: number): void {
  const main = s.owner.get(mainLink);
  const rdb = s.owner.get(rdbLink);
  if (!main || !rdb || main === rdb) return;
  mergeRdbChannel(main, rdb);
  s.owner.set(rdbLink, main);
  s.replicas.delete(rdbLink);
}

/** The same replica back on a new link (after a cut, a timeout, a restart): its closed records point to it,
 *  so a selection can follow the replica rather than stay on a dead row. */
function linkPredecessors(s: TuiState, r: ReplicaRecord): void {
  const key = returnKeyOf(r);
  for (const old of s.awaitingReturn.get(key) ?? []) if (old !== r) old.successor = r.link;
  s.awaitingReturn.delete(key);
}

const returnKeyOf = (r: ReplicaRecord): string => `${hostOf(r.replicaAddr)}:${r.announcedPort}`;

function returnKey(s: TuiState, r: ReplicaRecord): ReplicaRecord[] {
  const key = returnKeyOf(r);
  let list = s.awaitingReturn.get(key);
  if (!list) s.awaitingReturn.set(key, (list = []));
  return list;
}

/** A shared-snapshot event states the whole membership of its snapshot: later events of the same snapshot
 *  replace it (a diskless replica found to belong to another fork leaves; one link left is no group). */
function setGroup(s: TuiState, snapshot: number, replid: string, offset: number, links: number[]): void {
  const key = String(snapshot);
  let g = s.groups.get(key);
  if (!g) {
    g = { replid, offset, links: [] };
    s.groups.set(key, g);
  }
  const mains = links.map((link) => s.owner.get(link)?.link ?? link);
  const members = mains.length > 1 ? mains : [];
  for (const main of g.links) {
    const r = s.replicas.get(main);
    if (!members.includes(main) && r?.group === g) r.group = null;
  }
  g.links = members;
  for (const main of g.links) {
    const r = s.replicas.get(main);
    if (r) r.group = g;
  }
  if (g.links.length === 0) s.groups.delete(key);
}

/** Keep at most `closedReplicas` closed replicas, forgetting the one closed longest ago: a flapping replica must
 *  not grow the model forever. */
function forgetOldClosed(s: TuiState, closed: number): void {
  const ring = s.closedLinks;
  if (ring.size === ring.capacity) forget(s, ring.fromNewest(ring.size - 1)!); // the one the push drops
  ring.push(closed);
}

function forget(s: TuiState, link: number): void {
  const r = s.replicas.get(link);
  if (!r) return;
  s.replicas.delete(link);
  s.owner.delete(link);
  if (r.rdbLink !== null) s.owner.delete(r.rdbLink);
  const waiting = s.awaitingReturn.get(returnKeyOf(r));
  if (waiting) {
    const rest = waiting.filter((x) => x !== r);
    if (rest.length > 0) s.awaitingReturn.set(returnKeyOf(r), rest);
    else s.awaitingReturn.delete(returnKeyOf(r));
  }
  const g = r.group;
  if (g) {
    g.links = g.links.filter((l) => l !== link);
    if (g.links.length === 0) for (const [key, x] of s.groups) if (x === g) s.groups.delete(key);
  }
}
