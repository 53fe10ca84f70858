import type { From, LinkTls, RdbChannelSyncEvent, ResyncReasonCode } from '../../core/events.js';
import type { CommandEntry } from './command-entry.js';
import { Ring } from './ring.js';
import { createRateSeries, type RateSeries } from './rates.js';

// One replica as the TUI sees it: the facts gathered from its link (and from its RDB channel once the
// two connections are paired). Its phase is derived from those facts, never stored, so events that
// arrive in any order across the two channels still give a consistent state.

export type ReplicaPhase = 'handshake' | 'waiting' | 'receiving' | 'loading' | 'streaming' | 'closed';

export interface HandshakeLine {
  at: number;
  from: From;
  channel: 'main' | 'rdb';
  text: string;
}

export interface SnapshotGroup {
  replid: string;
  offset: number;
  /** main links of the replicas fed from this one snapshot (one BGSAVE) */
  links: number[];
}

export interface ReplicaRecord {
  link: number;
  rdbLink: number | null;
  replicaAddr: string;
  masterAddr: string;
  /** the legs that are TLS (null: both plaintext) */
  tls: LinkTls | null;
  /** REPLCONF listening-port, as announced by the replica */
  announcedPort: string | null;
  openAt: number;
  closeAt: number | null;
  closeReason: string | null;
  /** main link on which the same replica (address and announced port) came back after this one closed */
  successor: number | null;
  rdbClosedAt: number | null;
  handshake: HandshakeLine[];

  psyncAt: number | null;
  /** the PSYNC as asked: replid "?" and offset -1 for a fresh replica */
  psyncAsk: { replid: string; offset: number } | null;
  syncKind: 'full' | 'partial' | null;
  syncReason: string | null;
  syncReasonCode: ResyncReasonCode | null;
  twoChannel: RdbChannelSyncEvent['flavor'] | null;
  /** time of the master's answer that decided the sync (+FULLRESYNC, +CONTINUE, two-channel reply) */
  syncAt: number | null;
  replid: string | null;
  syncOffset: number | null;

  rdbMode: 'disk' | 'diskless' | null;
  rdbSize: number | null;
  rdbStartAt: number | null;
  rdbWaitMs: number | null;
  /** newline keepalives the master sent while the replica waited for the snapshot */
  keepalives: number;
  rdbBytes: number;
  rdbBytesAt: number | null;
  rdbEndAt: number | null;
  rdbDurationMs: number | null;
  rdbBytesPerSec: number | null;
  /** RDB facts as printable pairs (version, aux fields, summary counts) */
  rdbFacts: [string, string][];

  masterOffset: number | null;
  ackOffset: number | null;
  ackAt: number | null;
  lagBytes: number | null;
  lagMs: number | null;
  /** first ACK once the replica had its data (after the RDB, or after +CONTINUE) */
  firstAckAt: number | null;
  loadMs: number | null;
  /** first ACK with no lag after firstAckAt */
  caughtUpAt: number | null;
  /** time of the last ACK before an ack-silence, until ACKs resume */
  ackSilentSince: number | null;

  commands: Ring<CommandEntry>;
  rates: RateSeries;
  group: SnapshotGroup | null;

  violations: number;
  lastViolation: string | null;
  gapBytes: number;
  /** bytes of this link missing from the capture (the decoder saw them), and whether it is losing now */
  captureLostBytes: number;
  captureLosing: string | null;
  /** the latest fault event, e.g. "cut (reason link=3,cut)" */
  lastFault: string | null;
  /** fault state of the main link, as its fault events tell it */
  delayMs: number;
  bandwidth: number | null;
  frozen: boolean;
  /** the latest sync-loop event of this replica (a streak of full syncs ending with this link) */
  loop: { count: number; sinceAt: number; pattern: string } | null;
}

export const HANDSHAKE_LINES = 48;
export const RDB_FACTS = 40;

export function createReplica(link: number, at: number, replicaAddr = '?', masterAddr = '?', perLinkCommands = 200): ReplicaRecord {
  return {
    link,
    rdbLink: null,
    replicaAddr,
    masterAddr,
    tls: null,
    announcedPort: null,
    openAt: at,
    closeAt: null,
    closeReason: null,
    successor: null,
    rdbClosedAt: null,
    handshake: [],
    psyncAt: null,
    psyncAsk: null,
    syncKind: null,
    syncReason: null,
    syncReasonCode: null,
    twoChannel: null,
    syncAt: null,
    replid: null,
    syncOffset: null,
    rdbMode: null,
    rdbSize: null,
    rdbStartAt: null,
    rdbWaitMs: null,
    keepalives: 0,
    rdbBytes: 0,
    rdbBytesAt: null,
    rdbEndAt: null,
    rdbDurationMs: null,
    rdbBytesPerSec: null,
    rdbFacts: [],
    masterOffset: null,
    ackOffset: null,
    ackAt: null,
    lagBytes: null,
    lagMs: null,
    firstAckAt: null,
    loadMs: null,
    caughtUpAt: null,
    ackSilentSince: null,
    commands: new Ring<CommandEntry>(perLinkCommands),
    rates: createRateSeries(),
    group: null,
    violations: 0,
    lastViolation: null,
    gapBytes: 0,
    captureLostBytes: 0,
    captureLosing: null,
    lastFault: null,
    delayMs: 0,
    bandwidth: null,
    frozen: false,
    loop: null,
  };
}

export function phaseOf(r: ReplicaRecord): ReplicaPhase {
  if (r.closeAt !== null) return 'closed';
  if (r.firstAckAt !== null) return 'streaming';
  if (r.rdbEndAt !== null) return 'loading';
  if (r.rdbStartAt !== null) return 'receiving';
  if (r.syncKind === 'partial') return 'streaming';
  // after the PSYNC a full sync waits (a diskless master answers only once it forks)
  if (r.syncKind === 'full' || r.twoChannel !== null || r.psyncAt !== null) return 'waiting';
  return 'handshake';
}

/** Fold the record of an RDB channel into the record of its main channel (called once, on link-pair). */
export function mergeRdbChannel(main: ReplicaRecord, rdb: ReplicaRecord): void {
  main.rdbLink = rdb.link;
  main.announcedPort ??= rdb.announcedPort;
  main.handshake = [...main.handshake, ...rdb.handshake.map((l) => ({ ...l, channel: 'rdb' as const }))]
    .sort((a, b) => a.at - b.at)
    .slice(-HANDSHAKE_LINES);
  if (rdb.syncKind === 'full') main.syncKind = 'full';
  main.syncReason ??= rdb.syncReason;
  main.syncReasonCode ??= rdb.syncReasonCode;
  main.syncAt ??= rdb.syncAt;
  main.replid ??= rdb.replid;
  main.syncOffset ??= rdb.syncOffset;
  main.rdbMode ??= rdb.rdbMode;
  main.rdbSize ??= rdb.rdbSize;
  main.rdbStartAt ??= rdb.rdbStartAt;
  main.rdbWaitMs ??= rdb.rdbWaitMs;
  main.keepalives += rdb.keepalives;
  main.rdbBytes = Math.max(main.rdbBytes, rdb.rdbBytes);
  main.rdbBytesAt ??= rdb.rdbBytesAt;
  main.rdbEndAt ??= rdb.rdbEndAt;
  main.rdbDurationMs ??= rdb.rdbDurationMs;
  main.rdbBytesPerSec ??= rdb.rdbBytesPerSec;
  if (main.rdbFacts.length === 0) main.rdbFacts = rdb.rdbFacts;
  main.rdbClosedAt ??= rdb.closeAt;
  main.violations += rdb.violations;
  main.lastViolation ??= rdb.lastViolation;
  main.gapBytes += rdb.gapBytes;
  main.captureLostBytes += rdb.captureLostBytes;
  main.captureLosing ??= rdb.captureLosing;
}

/** A fault event of the main link (`fault` as the proxy names it: cut, freeze, freeze-end, delay, bandwidth). */
export function noteFault(r: ReplicaRecord, fault: string, detail: Record<string, unknown>): void {
  r.lastFault = faultText(fault, detail);
  if (fault === 'delay' && typeof detail.ms === 'number') r.delayMs = detail.ms;
  else if (fault === 'bandwidth') r.bandwidth = typeof detail.bytesPerSec === 'number' ? detail.bytesPerSec : null;
  else if (fault === 'freeze') r.frozen = true;
  else if (fault === 'freeze-end') r.frozen = false;
}

/** A fault event as text, e.g. "cut (reason link=3,cut)". */
export function faultText(fault: string, detail: Record<string, unknown>): string {
  const details = Object.entries(detail).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return details.length > 0 ? `${fault} (${details.join(', ')})` : fault;
}

export function pushHandshake(r: ReplicaRecord, line: HandshakeLine): void {
  if (r.handshake.length >= HANDSHAKE_LINES) r.handshake.shift();
  r.handshake.push(line);
}

/** Add RDB facts as printable pairs, flattening one level of nesting (aux fields). */
export function addRdbFacts(r: ReplicaRecord, prefix: string, info: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(info)) {
    if (r.rdbFacts.length >= RDB_FACTS) return; // bounded: a hostile RDB may carry many aux fields
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      addRdbFacts(r, `${prefix}${k}.`, v as Record<string, unknown>);
    } else {
      const raw = typeof v === 'string' ? v : typeof v === 'bigint' ? String(v) : JSON.stringify(v) ?? String(v);
      const text = raw.length > 60 ? raw.slice(0, 59) + '…' : raw;
      const known = r.rdbFacts.find((f) => f[0] === prefix + k);
      if (known) known[1] = text;
      else r.rdbFacts.push([prefix + k, text]);
    }
  }
}
