// What repl-spy sees of replication as Prometheus metrics (prom-client): the decoded events counted as they come,
// the lag read from the pipeline at scrape time (the value the TUI and --json show), bytes from the wire events.
// Where redis_exporter has a metric for the same thing it has its name and labels; the rest is replspy_*. Labels
// are bounded: replicas by ip and announced port and the master they replicate from (only open links are exported), reason codes, directions; never
// keys or command names.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { announcedIp, announcedPort, hostOf } from '../decode/analysis/listening-port.js';
import type { ClientKind, From, ReplEvent, WireEvent } from '../core/events.js';
import type { LinkLag } from '../decode/pipeline.js';

/** Redis's names of a replica's state in INFO replication (`state=`), as redis_exporter labels them. */
type SlaveState = 'handshake' | 'wait_bgsave' | 'send_bulk' | 'online';

interface LinkFacts {
  /** the upstream the link belongs to (one repl-spy may front several servers) */
  master: string;
  ip: string;
  /** the announced listening port (as INFO shows it), else the socket's port */
  port: string;
  state: SlaveState;
  kind: 'replica' | 'rdb-channel';
  /** the main channel of a two-channel sync: its +CONTINUE only resumes the stream */
  twoChannel: boolean;
}

const SLAVE_LABELS = ['slave_ip', 'slave_port', 'slave_state', 'master'] as const;
const REPLICA_LABELS = ['slave_ip', 'slave_port', 'master'] as const;
const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];
/** 1 KiB to 64 GiB, ×4 */
const BYTES_BUCKETS = Array.from({ length: 14 }, (_, i) => 1024 * 4 ** i);

export class ReplicationMetrics {
  readonly registry = new Registry();
  private readonly links = new Map<number, LinkFacts>();
  /** snapshots already counted as shared (a later event of the same snapshot restates its members) */
  private readonly sharedSnapshots = new Set<number>();
  // counted on the hot path as plain numbers, handed to prom-client at scrape time
  private readonly forwarded: Record<From, number> = { master: 0, replica: 0 };
  private commandCount = 0;

  private readonly offset = this.gauge('redis_connected_slave_offset_bytes', 'Offset of connected slave: the replication offset it acknowledged last (REPLCONF ACK)', SLAVE_LABELS);
  private readonly lagSeconds = this.gauge('redis_connected_slave_lag_seconds', 'Lag of connected slave: age of the oldest byte forwarded to it and not acknowledged (0 when caught up)', SLAVE_LABELS);
  private readonly lagBytes = this.gauge('replspy_replica_lag_bytes', 'Replication bytes forwarded to the replica and not acknowledged', REPLICA_LABELS);
  private readonly ackSilent = this.gauge('replspy_replica_ack_silent', '1 while the replica sends no ACK for too long (an ack-silence event not yet followed by an ACK)', REPLICA_LABELS);
  private readonly linksOpen = this.gauge('replspy_links_open', 'Replication connections open, by kind (replica: a main channel; rdb-channel: the RDB connection of a two-channel sync)', ['kind']);
  private readonly forwardedBytes = this.counter('replspy_forwarded_bytes_total', 'Bytes forwarded (or seen, in a packet capture), by the side that sent them', ['from']);
  private readonly commands = this.counter('replspy_commands_total', 'Propagated commands decoded, counted on every link that carried them', []);
  private readonly fullSyncs = this.counter('replspy_full_syncs_total', 'Full syncs (+FULLRESYNC, or a two-channel snapshot), by reason code', ['reason']);
  private readonly partialSyncs = this.counter('replspy_partial_syncs_total', 'Partial syncs (+CONTINUE), by reason code', ['reason']);
  private readonly rdbBytes = this.histogram('replspy_rdb_bytes', 'Size of each completed RDB transfer, bytes', BYTES_BUCKETS);
  private readonly rdbSeconds = this.histogram('replspy_rdb_transfer_seconds', 'Duration of each completed RDB transfer, first to last payload byte', SECONDS_BUCKETS);
  private readonly waitSeconds = this.histogram('replspy_snapshot_wait_seconds', "Wait from the replica's PSYNC to the first RDB byte (the master's BGSAVE or diskless fork delay)", SECONDS_BUCKETS);
  private readonly loadSeconds = this.histogram('replspy_replica_load_seconds', 'From the end of the RDB transfer to the replica\'s first ACK (its load time)', SECONDS_BUCKETS);
  private readonly ackSilences = this.counter('replspy_ack_silences_total', 'Times a replica sent no ACK for too long (ack-silence events)', []);
  private readonly shared = this.counter('replspy_shared_snapshots_total', 'Snapshots (one BGSAVE or fork) that served more than one replica', []);
  private readonly syncLoops = this.counter('replspy_sync_loops_total', 'Replicas flagged as full-syncing again and again (sync-loop events)', []);
  private readonly violations = this.counter('replspy_protocol_violations_total', 'Bytes that could not be decoded (protocol-violation events), by side and code', ['from', 'code']);
  private readonly gapBytes = this.counter('replspy_gap_bytes_total', 'Bytes missing from the input (packets missing from a packet capture, gaps of a replayed capture), by side', ['from']);
  private readonly captureLost = this.counter('replspy_capture_lost_bytes_total', 'Bytes forwarded and decoded but missing from the capture file (a full, failing or slow disk)', []);
  private readonly dropped = this.counter('replspy_dropped_events_total', 'Events the output (--json, --no-tui) did not show because it was slower than the stream', []);
  private readonly faults = this.counter('replspy_faults_total', 'Faults injected by the lab, by kind', ['fault']);
  private readonly clientsOpen = this.gauge('replspy_client_links_open', 'Client connections (not replication) open, by kind (sentinel, replica-to-be, redis-cli, unknown)', ['kind']);
  private readonly clientLinks = this.counter('replspy_client_links_total', 'Client connections closed, by kind', ['kind']);
  private readonly clientCommands = this.counter('replspy_client_commands_total', 'Commands sent by client connections, counted when each closes', []);
  private readonly clientKinds = new Map<number, ClientKind>();

  /**
   * @param lagNow the pipeline's lag of every link now (Pipeline.currentLag at the clock of the events)
   * @param droppedEvents events the output has dropped so far
   */
  constructor(
    private readonly lagNow: () => LinkLag[],
    private readonly droppedEvents: () => number = () => 0,
  ) {}

  /** Wire events: bytes forwarded per direction. */
  wire(e: WireEvent): void {
    if (e.kind === 'bytes') this.forwarded[e.from] += e.chunk.length;
  }

  /** Decoded events. */
  observe(e: ReplEvent): void {
    switch (e.type) {
      case 'command':
        this.commandCount++;
        return;
      case 'link-open': {
        const colon = e.replica.lastIndexOf(':');
        this.links.set(e.link, { master: e.master, ip: hostOf(e.replica), port: colon > 0 ? e.replica.slice(colon + 1) : '', state: 'handshake', kind: 'replica', twoChannel: false });
        return;
      }
      case 'replica-command': {
        // as INFO replication lists it: the announced port, and the announced address when there is one
        const port = announcedPort(e.argv);
        const ip = announcedIp(e.argv);
        const l = this.links.get(e.link);
        if (l && port !== null) l.port = port;
        if (l && ip !== null) l.ip = ip;
        return;
      }
      case 'psync':
        this.setState(e.link, 'wait_bgsave');
        return;
      case 'rdb-channel-sync':
        this.markTwoChannel(e.link);
        return;
      case 'link-pair': {
        this.markTwoChannel(e.mainLink);
        const rdb = this.links.get(e.rdbLink);
        if (rdb) rdb.kind = 'rdb-channel';
        return;
      }
      case 'fullresync':
      case 'endoff':
        this.fullSyncs.inc({ reason: (e.type === 'fullresync' && e.reasonCode) || 'unknown' });
        this.setState(e.link, 'wait_bgsave');
        return;
      case 'continue':
        this.setState(e.link, 'online');
        if (!this.links.get(e.link)?.twoChannel) this.partialSyncs.inc({ reason: e.reasonCode ?? 'unknown' });
        return;
      case 'rdb-start':
        this.setState(e.link, 'send_bulk');
        if (e.waitMs !== null) this.waitSeconds.observe(e.waitMs / 1000);
        return;
      case 'rdb-end':
        this.setState(e.link, 'online');
        this.rdbBytes.observe(e.bytes);
        this.rdbSeconds.observe(e.durationMs / 1000);
        return;
      case 'ack':
        if (e.loadMs !== undefined) this.loadSeconds.observe(e.loadMs / 1000);
        return;
      case 'ack-silence':
        this.ackSilences.inc();
        return;
      case 'shared-snapshot':
        if (e.links.length > 1 && !this.sharedSnapshots.has(e.snapshot)) {
          this.sharedSnapshots.add(e.snapshot);
          this.shared.inc();
        }
        return;
      case 'sync-loop':
        this.syncLoops.inc();
        return;
      case 'protocol-violation':
        this.violations.inc({ from: e.from, code: e.code });
        return;
      case 'gap':
        this.gapBytes.inc({ from: e.from }, e.bytes);
        return;
      case 'capture-loss':
        if (e.state !== 'started') this.captureLost.inc(e.bytes);
        return;
      case 'fault':
        this.faults.inc({ fault: e.fault });
        return;
      case 'link-close':
        this.links.delete(e.link);
        return;
      case 'client-open':
      case 'client-update':
        this.clientKinds.set(e.link, e.kind);
        return;
      case 'client-close':
        this.clientKinds.delete(e.link);
        this.clientLinks.inc({ kind: e.kind });
        this.clientCommands.inc(e.commands);
        return;
      default:
        return;
    }
  }

  /** The exposition text, with the lag and the hot counters read now. */
  async text(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private refresh(): void {
    for (const g of [this.offset, this.lagSeconds, this.lagBytes, this.ackSilent, this.linksOpen]) g.reset();
    // links in the order they opened: a replica on two links at once (a reconnect overlapping its old link)
    // is shown with its newest
    for (const lag of this.lagNow()) {
      const l = this.links.get(lag.link);
      if (!l || l.kind !== 'replica') continue;
      const replica = { slave_ip: l.ip, slave_port: l.port, master: l.master };
      const slave = { slave_ip: l.ip, slave_port: l.port, slave_state: l.state, master: l.master };
      this.offset.set(slave, lag.ackOffset);
      this.lagSeconds.set(slave, lag.lagMs / 1000);
      this.lagBytes.set(replica, lag.lagBytes);
      this.ackSilent.set(replica, lag.ackSilent ? 1 : 0);
    }
    this.linksOpen.set({ kind: 'replica' }, 0);
    this.linksOpen.set({ kind: 'rdb-channel' }, 0);
    for (const l of this.links.values()) this.linksOpen.inc({ kind: l.kind });
    this.clientsOpen.reset();
    for (const kind of this.clientKinds.values()) this.clientsOpen.inc({ kind });
    // totals kept here: counters only grow, and so do they
    for (const c of [this.forwardedBytes, this.commands, this.dropped]) c.reset();
    this.forwardedBytes.inc({ from: 'master' }, this.forwarded.master);
    this.forwardedBytes.inc({ from: 'replica' }, this.forwarded.replica);
    this.commands.inc(this.commandCount);
    this.dropped.inc(this.droppedEvents());
  }

  private setState(link: number, state: SlaveState): void {
    const l = this.links.get(link);
    if (l) l.state = state;
  }

  private markTwoChannel(link: number): void {
    const l = this.links.get(link);
    if (l) l.twoChannel = true;
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, help: string, buckets: number[]): Histogram {
    return new Histogram({ name, help, buckets, registers: [this.registry] });
  }
}
