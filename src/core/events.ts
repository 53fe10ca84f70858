// The shared vocabulary of repl-spy. Two levels:
// - WireEvent: what crossed the proxy (bytes with arrival times). Produced by the live proxy tap and by a
//   capture reader alike, so replay runs the very same decoder.
// - ReplEvent: what the bytes mean, produced by the pure decoders in src/decode from WireEvents.
// Time `at` is epoch milliseconds (float allowed). Offsets are replication offsets (exact as JS numbers up
// to 2^53 bytes); `pos` is a byte position within one direction of one link.
import type { FramingErrorCode } from '../resp/framer.js';
import type { ClusterTopology } from './cluster-topology.js';
import type { RdbReport } from './rdb-info.js';

export type From = 'master' | 'replica';

// ---------------------------------------------------------------- wire level

export interface WireLinkOpen {
  kind: 'open';
  link: number;
  at: number;
  replica: string; // "ip:port" of the replica's socket as the proxy saw it
  master: string; // "host:port" the proxy dialled
  /** "ip:port" of the proxy's own end of the master leg: the address the master sees this replica at (absent when
   *  the master leg never connected, and in packet captures, where the master sees the replica itself) */
  via?: string;
  /** every listener of this repl-spy ("host:port"), to tell whether the address a replica announces leads through
   *  one (absent: not known, e.g. a packet capture) */
  listeners?: string[];
  /** the legs that are TLS (absent: both plaintext) */
  tls?: LinkTls;
  /** the db the master's stream is in where this link's stream starts, when the source knows it (`repl-spy tail`
   *  reconnecting after a cut: a +CONTINUE sends no SELECT) */
  streamDb?: number;
  /** the replica side is repl-spy itself (`repl-spy tail`): a replication link from its first byte (it waits for
   *  the replies to its REPLCONFs before it asks for the sync that would otherwise tell) */
  replication?: true;
}
/** What a TLS leg of a link negotiated. The bytes of the wire events are the decrypted ones: what Redis sent. */
export interface TlsLeg {
  /** e.g. "TLSv1.3" */
  protocol: string;
  /** the standard (IANA) name, e.g. "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  /** subject of the certificate the other end presented (the replica's client certificate, the master's server
   *  certificate), e.g. "O=lab, CN=replica-1"; null when it presented none */
  peerSubject: string | null;
  peerIssuer: string | null;
  /** subject of repl-spy's own certificate on this leg; null when it presented none */
  localSubject: string | null;
  /** the other end's certificate was checked against a CA (false: none asked, or --upstream-insecure) */
  verified: boolean;
}
export interface LinkTls {
  /** between the replica and repl-spy */
  replica?: TlsLeg;
  /** between repl-spy and the master */
  master?: TlsLeg;
}
export interface WireBytes {
  kind: 'bytes';
  link: number;
  at: number;
  from: From;
  // The very Buffer that was forwarded. Never mutate it; copy what you keep beyond the call.
  chunk: Buffer;
}
/** Bytes that crossed the wire but are not available (capture overflow, RDB body left out of a capture). */
export interface WireGap extends GapDetail {
  kind: 'gap';
  link: number;
  at: number;
  from: From;
  bytes: number;
  reason: GapReason;
}
/** Why bytes are missing: left out of a capture (`rdb-elided`: `--capture-rdb none`), lost by it (it fell behind,
 *  the disk failed), missing from a packet capture, or before a packet capture began; live, bytes the decoders did not see
 *  (`tap-overflow`: they fell behind the forwarding; `unobserved`: nothing listened). */
export type GapReason = (typeof FIXED_GAP_REASONS)[number] | `disk-error: ${string}`;
const FIXED_GAP_REASONS = [
  'rdb-elided',
  'capture-overflow',
  'not in the packet capture',
  'cut by the snap length',
  'capture started mid-connection',
  'not kept while looking for the replication handshake',
  'tap-overflow',
  'unobserved',
] as const;
export function isGapReason(text: string): text is GapReason {
  return (FIXED_GAP_REASONS as readonly string[]).includes(text) || text.startsWith('disk-error: ');
}
/** What a capture knows of the bytes it is missing. */
export interface GapDetail {
  /** byte position of the first missing byte within its link direction */
  pos?: number;
  /** SHA-256 (hex) of the missing bytes, when they were seen (an RDB body left out) */
  sha256?: string;
  /** `at` of the last missing chunk, for bytes the capture lost (`at` is the first's) */
  untilAt?: number;
}
export interface WireLinkClose {
  kind: 'close';
  link: number;
  at: number;
  by: From | 'proxy';
  reason: string;
}
/** A fault injected by the proxy (lab): cut, freeze, delay, bandwidth limit. Recorded like any other fact. */
export interface WireFault {
  kind: 'fault';
  link: number;
  at: number;
  fault: string;
  detail: Record<string, unknown>;
}
/** Time passing: the live command's timer every TICK_MS (recorded in the capture, so replay sees the same ticks).
 *  Decoders are pure, so this is how they learn that time went by while no byte came: lag grows with it, and a
 *  replica that stops acknowledging is noticed. Not tied to a link. */
export interface WireTick {
  kind: 'tick';
  at: number;
}
/** A server's `INFO replication`, read on a side connection (`--master-info`, the lab): the facts the wire cannot
 *  show (replid2, the backlog window) for the resync reasons. Recorded in the capture, so replay explains alike. */
export interface WireServerInfo {
  kind: 'server-info';
  at: number;
  /** "host:port" as the proxy dials it (the `master` of link-open) or as the server listens */
  server: string;
  /** the reply text of INFO replication */
  text: string;
}
/** A decoded event that no wire byte tells (the cluster's topology read on a side connection, the steps of the lab's
 *  failover story): recorded in the capture as it was, so replay and export re-emit it at its time. */
export interface WireSideEvent {
  kind: 'side-event';
  at: number;
  event: SideEvent;
}
/** The decoded events a side event carries. */
export type SideEvent = ClusterTopologyEvent | FailoverEvent;
export const SIDE_EVENT_TYPES: readonly SideEvent['type'][] = ['cluster-topology', 'failover'];
/** What one proxy link emits. */
export type WireLinkEvent = WireLinkOpen | WireBytes | WireGap | WireLinkClose | WireFault;
export type WireEvent = WireLinkEvent | WireTick | WireServerInfo | WireSideEvent;
export type WireSink = (e: WireEvent) => void;
export type WireLinkSink = (e: WireLinkEvent) => void;

/** How often the live commands tick. */
export const TICK_MS = 250;

// ---------------------------------------------------------------- decoded level
// Names and required fields of these types are a public contract (`--json`): add fields, never rename.

interface Base {
  at: number;
  link: number;
  /** the master the link belongs to: the upstream "host:port" as given (the pipeline adds it to every event of a
   *  link from its link-open; absent only for events of no known link) */
  master?: string;
}
/** Where the bytes an event comes from lie in their direction of the link: [pos, end). */
interface Span {
  pos: number;
  end: number;
}

export interface LinkOpenEvent extends Base {
  type: 'link-open';
  replica: string;
  master: string;
  /** the address the master sees the replica at: the proxy's end of the master leg */
  via?: string;
  /** the legs that are TLS, with protocol, cipher and certificate subjects (absent: both plaintext) */
  tls?: LinkTls;
}
/** A command the replica sent before the sync (PING, AUTH, REPLCONF, PSYNC, SYNC). AUTH secrets are `***`. */
export interface ReplicaCommandEvent extends Base, Span {
  type: 'replica-command';
  argv: string[];
}
/** A reply line from the master during the handshake (+PONG, +OK, -NOAUTH..., the PSYNC answer). */
export interface MasterReplyEvent extends Base, Span {
  type: 'master-reply';
  reply: string;
}
export interface PsyncEvent extends Base, Span {
  type: 'psync';
  replid: string;
  offset: number; // as asked: -1 for "PSYNC ? -1"
}
export interface FullResyncEvent extends Base, Span {
  type: 'fullresync';
  replid: string;
  offset: number;
  /** why the master answered so, in Redis's terms (see src/decode/analysis/resync-reason.ts) */
  reason?: string;
  reasonCode?: ResyncReasonCode;
}
export interface ContinueEvent extends Base, Span {
  type: 'continue';
  replid: string | null;
  /** replication offset of the first stream byte that follows */
  offset: number | null;
  reason?: string;
  reasonCode?: ResyncReasonCode;
}
/** Stable codes of the resync reasons (the `reason` text says the same with numbers). */
export type ResyncReasonCode =
  | 'first-sync'
  | 'full-sync-requested'
  | 'replid-unknown'
  | 'past-failover-point'
  | 'outside-backlog'
  | 'forced-full-sync'
  | 'within-backlog'
  | 'failover-new-replid'
  /** the wire alone cannot tell (the master's INFO would) */
  | 'undetermined';
/** A replica that full-syncs again and again (e.g. its output buffer limit is hit during every transfer). */
export interface SyncLoopEvent extends Base {
  type: 'sync-loop';
  /** the replica as "ip:listening-port" */
  replica: string;
  /** full syncs in this streak (each less than a minute after the previous one) */
  count: number;
  /** when the streak began */
  sinceAt: number;
  /** how the attempts went, e.g. "4 full syncs in 9.1s; each cut by master during the RDB transfer (52%, 48%, 50%)" */
  pattern: string;
}
/** +RDBCHANNELSYNC (Redis 8) or +DUALCHANNELSYNC (Valkey 8): the RDB comes over a second connection. */
export interface RdbChannelSyncEvent extends Base, Span {
  type: 'rdb-channel-sync';
  flavor: 'redis-rdb-channel' | 'valkey-dual-channel';
  clientId: string | null;
}
/** Valkey dual-channel: $ENDOFF:<offset> <replid> <db> <client-id> on the RDB connection. */
export interface EndOffEvent extends Base, Span {
  type: 'endoff';
  offset: number;
  replid: string;
  db: number;
  clientId: string;
}
/** Two connections of one replica (main channel + RDB channel) recognised as a pair. */
export interface LinkPairEvent extends Base {
  type: 'link-pair';
  mainLink: number;
  rdbLink: number;
  flavor: 'redis-rdb-channel' | 'valkey-dual-channel';
}
export interface KeepaliveEvent extends Base, Span {
  type: 'keepalive';
  from: From;
}
export interface RdbStartEvent extends Base, Span {
  type: 'rdb-start';
  mode: 'disk' | 'diskless';
  size: number | null;
  /** ms from PSYNC (or SYNC) to the `$` line: the master's BGSAVE / diskless delay */
  waitMs: number | null;
  /** newline keepalives the master sent while the replica waited */
  keepalives: number;
  /** diskless: the 40-byte mark that ends the payload (every replica of one fork gets the same) */
  mark?: string;
}
/** Progress of the RDB body, emitted at most once per 1 MiB of payload (decided by bytes, never by clock). */
export interface RdbProgressEvent extends Base, Span {
  type: 'rdb-progress';
  bytes: number;
  size: number | null;
}
export interface RdbEndEvent extends Base, Span {
  type: 'rdb-end';
  bytes: number;
  durationMs: number;
  /** payload bytes per second over the transfer (null when it took no measurable time) */
  bytesPerSec: number | null;
}
/** A propagated command, with the replication offset just after it. PING and REPLCONF GETACK are commands too. */
export interface CommandEvent extends Base, Span {
  type: 'command';
  offset: number;
  /** db the command applies to (null when unknown, e.g. after +CONTINUE before any SELECT) */
  db: number | null;
  /** argument views into the forwarded chunk (or, for an argument split across chunks, into a buffer the decoder
   *  reuses for the next command): valid during the emit call only, so copy what you keep.
   *  An argument larger than the decoder's keep limit holds only its first bytes: see argBytes. */
  argv: Buffer[];
  /** full sizes of the arguments, present only when at least one argument was cut by the decoder */
  argBytes?: number[];
  /** size of the command on the wire */
  bytes: number;
  /** the cluster hash slot of its keys (CLUSTER KEYSLOT), when it has keys and they all share one; absent for a
   *  command without keys, one not known, or whose key the decoder cut */
  slot?: number;
  /** its keys hash to different slots (a cluster refuses it: CROSSSLOT) */
  crossSlot?: true;
}
export interface AckEvent extends Base, Span {
  type: 'ack';
  offset: number;
  /** master offset forwarded to this replica minus the acknowledged offset */
  lagBytes: number;
  /** ms since the master sent the first byte this replica has not acknowledged (0 when caught up) */
  lagMs: number;
  fack?: number;
  /** first ACK after a full sync: ms from the end of the RDB transfer (the replica's load time) */
  loadMs?: number;
}
/** The lag of a replica between its ACKs: emitted on the clock (at most once a second) when it changed since the
 *  last `ack` or `lag` event, so it grows while the replica is silent. Same definitions as in `ack`. */
export interface LagEvent extends Base {
  type: 'lag';
  /** master offset forwarded to this replica */
  offset: number;
  /** the last offset it acknowledged */
  ackOffset: number;
  lagBytes: number;
  lagMs: number;
}
/** No ACK for longer than 2 s while the replica has un-acknowledged bytes, or than the ACK timeout when it has none. */
export interface AckSilenceEvent extends Base {
  type: 'ack-silence';
  lastAckAt: number;
  /** ms since the last ACK */
  silentMs: number;
  ackOffset: number;
  lagBytes: number;
  lagMs: number;
}
/** The first ACK after an `ack-silence`. */
export interface AckResumedEvent extends Base {
  type: 'ack-resumed';
  /** ms between the last ACK before the silence and this one */
  silentMs: number;
  offset: number;
  lagBytes: number;
  lagMs: number;
}
/** Links served by one BGSAVE / fork. A later event with the same `snapshot` id replaces the membership (a
 *  diskless replica whose EOF mark reveals another fork is taken out; one link left means not shared). */
export interface SharedSnapshotEvent extends Base {
  type: 'shared-snapshot';
  snapshot: number;
  links: number[];
  replid: string;
  offset: number;
}
/** Bytes a decoder could not read: it stops decoding that direction (one violation per direction). `pos` is
 *  the offending byte (or the first of the offending line or command), `end` just after it. */
export interface ProtocolViolationEvent extends Base, Span {
  type: 'protocol-violation';
  from: From;
  code: ViolationCode;
  message: string;
  excerptHex: string;
}
/** The codes of protocol-violation: what the framer found (a bad byte, length, line end or EOF mark, a line too
 *  long), what does not belong where it came, and a decoder's own failure. */
export type ViolationCode =
  | FramingErrorCode
  | 'RSPY_DECODE_UNEXPECTED_REPLY'
  | 'RSPY_DECODE_BAD_FULLRESYNC'
  | 'RSPY_DECODE_BAD_ENDOFF'
  | 'RSPY_DECODE_INLINE_FROM_MASTER'
  | 'RSPY_DECODE_BAD_ACK'
  | 'RSPY_DECODER_BUG';
/** Bytes of one direction that are not available: [pos, end) in that direction, with what the capture knows. */
export interface GapEvent extends Base, Span, Omit<GapDetail, 'pos'> {
  type: 'gap';
  from: From;
  bytes: number;
  reason: GapReason;
}
/** The capture file is missing bytes of this link direction (the disk is full or failing, or slower than the
 *  network): `started` when dropping begins, `ended` when capturing goes on (the gap is recorded), `unrecorded`
 *  when the capture closed before the disk worked again. The forwarded bytes and the decoded events are whole. */
export interface CaptureLossEvent extends Base {
  type: 'capture-loss';
  state: 'started' | 'ended' | 'unrecorded';
  from: From;
  /** byte position of the first missing byte in that direction */
  pos: number;
  /** bytes missing so far (ended: in all) */
  bytes: number;
  /** `at` of the first and last missing chunk */
  sinceAt: number;
  untilAt: number;
  reason: string;
}
/** Decoding of one direction resumed at a command after bytes it could not frame: a gap (bytes missing from a
 *  packet capture) outside an RDB body, or the start of a connection a capture joined mid-stream. */
export interface ResyncEvent extends Base, Span {
  type: 'resync';
  from: From;
  /** [pos, end): the command decoding resumed at */
  /** bytes after the gap passed over before it (the rest of a command cut by the gap, ...) */
  skipped: number;
}
export interface FaultEvent extends Base {
  type: 'fault';
  fault: string;
  detail: Record<string, unknown>;
}
/** At the replica's PSYNC: the address the master (and so Sentinel, which reads it from the master's INFO) knows the
 *  replica by, and whether that address leads through repl-spy. */
export interface ReplicaAddressEvent extends Base {
  type: 'replica-address';
  /** "ip:port" as the master's INFO shows it: `REPLCONF ip-address`, else the address the master sees the
   *  connection come from (repl-spy's own, `via`), with the `REPLCONF listening-port` */
  seenAs: string;
  /** the replica sent `REPLCONF ip-address` (replica-announce-ip) */
  announcedIp: boolean;
  /** `seenAs` is one of repl-spy's listeners (null: the listeners are not known, e.g. in replay) */
  throughProxy: boolean | null;
  /** what is wrong with that address for Sentinel, and the fix */
  warning?: string;
}
/** One step of a failover as repl-spy sees it (the lab's Sentinel story): the master unreachable, what Sentinel
 *  says on its pub/sub (`+sdown`, `+odown`, `+switch-master`, ...), the promoted replica, the others re-pointed,
 *  their PSYNC to the new master and its answer, the old master back as a replica, and every replica streaming
 *  again. `link` is the link the step happened on, 0 for a step of no link. */
export interface FailoverEvent extends Base {
  type: 'failover';
  step: FailoverStep;
  /** the step in a sentence */
  detail: string;
  /** ms since the master died (the failover fault, or its first sight as unreachable); null before */
  sinceMs: number | null;
  /** the Sentinel message's channel (`+sdown`, `+odown`, `+switch-master`...) and text, for step `sentinel` */
  channel?: string;
  message?: string;
  /** "host:port" of the Sentinel that said it */
  sentinel?: string;
  /** the server the step is about, "host:port" as Sentinel and INFO name it */
  server?: string;
  /** psync: as asked; resync: as answered */
  replid?: string | null;
  offset?: number | null;
  /** resync: `continue` or `fullresync`, with the reason */
  outcome?: 'continue' | 'fullresync';
  reason?: string;
  /** streaming: ms from the master's death to every replica streaming again (the summary figure) */
  recoveryMs?: number;
}
export type FailoverStep =
  /** the lab's failover fault: SIGKILL, SIGSTOP or SENTINEL FAILOVER */
  | 'started'
  | 'master-unreachable'
  | 'sentinel'
  | 'promoted'
  | 'psync'
  | 'resync'
  | 'old-master-back'
  | 'streaming'
  | 'timeout';
/** The shards of a Redis Cluster (the cluster lab asks CLUSTER SHARDS on a side connection at start, once formed,
 *  every few seconds and after a link closes), emitted when they change. Nodes are named by the address they
 *  announce (in the lab: their proxies') and, when known, by a name (`master-1`). `link` is 0. */
export interface ClusterTopologyEvent extends Base, ClusterTopology {
  type: 'cluster-topology';
  /** the node the topology was read from, "host:port" */
  source: string;
  /** what changed since the previous one, in a sentence ("first sight" for the first) */
  change: string;
}
export interface LinkCloseEvent extends Base {
  type: 'link-close';
  by: From | 'proxy';
  reason: string;
}

/** What a client link is, when its commands tell: Sentinel (SENTINEL commands, `__sentinel__:hello`, a name
 *  `sentinel-…`), a connection that announced itself as a replica (REPLCONF) but never asked for a sync, an
 *  interactive redis-cli (it asks COMMAND DOCS first), or not known. */
export type ClientKind = 'sentinel' | 'replica-to-be' | 'redis-cli' | 'unknown';
/** A link that is not a replication link (it sent no SYNC/PSYNC before its first other command): a client, a
 *  Sentinel, an INFO poller. Summarised, not itemised (see `--clients`). `at`: when it opened. */
export interface ClientOpenEvent extends Base {
  type: 'client-open';
  /** "ip:port" of the client's socket as the proxy saw it */
  client: string;
  master: string;
  /** CLIENT SETNAME / HELLO … SETNAME, when sent before it was known to be a client */
  name: string | null;
  kind: ClientKind;
  tls?: LinkTls;
}
/** A client link's name or kind became known after its client-open. */
export interface ClientUpdateEvent extends Base {
  type: 'client-update';
  name: string | null;
  kind: ClientKind;
}
/** `--clients`: one command of a client link, with the head of its reply (`+OK`, `$5`, `*3`, `-ERR …`; null when
 *  it got none that can be told apart: pub/sub and MONITOR modes, or the link closed first). AUTH secrets are `***`. */
export interface ClientCommandEvent extends Base, Span {
  type: 'client-command';
  argv: string[];
  reply: string | null;
  /** ms from the command to its whole reply */
  latencyMs: number | null;
}
/** A client link closed: its totals. */
export interface ClientCloseEvent extends Base {
  type: 'client-close';
  by: From | 'proxy';
  reason: string;
  name: string | null;
  kind: ClientKind;
  /** commands the client sent (multibulk and inline) */
  commands: number;
  /** bytes the client sent, and the server sent it */
  requestBytes: number;
  replyBytes: number;
  /** ms from open to close */
  durationMs: number;
  /** commands per second over its life (null when it lasted no measurable time) */
  commandsPerSec: number | null;
  /** bytes per second both ways over its life */
  bytesPerSec: number | null;
}

export type ReplEvent =
  | LinkOpenEvent
  | ReplicaCommandEvent
  | MasterReplyEvent
  | PsyncEvent
  | FullResyncEvent
  | ContinueEvent
  | RdbChannelSyncEvent
  | EndOffEvent
  | LinkPairEvent
  | KeepaliveEvent
  | RdbStartEvent
  | RdbProgressEvent
  | RdbEndEvent
  | CommandEvent
  | AckEvent
  | LagEvent
  | AckSilenceEvent
  | AckResumedEvent
  | SharedSnapshotEvent
  | ProtocolViolationEvent
  | GapEvent
  | CaptureLossEvent
  | ResyncEvent
  | FaultEvent
  | LinkCloseEvent
  | RdbInfoEvent
  | SyncLoopEvent
  | ClientOpenEvent
  | ClientUpdateEvent
  | ClientCommandEvent
  | ClientCloseEvent
  | ReplicaAddressEvent
  | FailoverEvent
  | ClusterTopologyEvent;

/** Facts from the streaming RDB decoder (see src/decode/rdb and core/rdb-info.ts): header (magic, version, aux
 *  fields) first, an error if any, the summary (keys, types, checksum) at the end. */
export type RdbInfoEvent = Base & { type: 'rdb-info' } & RdbReport;

export type ReplEventType = ReplEvent['type'];
export type ReplSink = (e: ReplEvent) => void;
