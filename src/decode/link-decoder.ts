// One link = one connection through the proxy. Feeds each direction's bytes to its decoder; both share the link's
// offsets and timing (LinkState); clock ticks go to its LagWatch. Pure: wire events in, ReplEvents out.
//
// A link is a replication link from the moment its replica side asks for a sync (SYNC, PSYNC: also what opens a
// Redis 8 / Valkey RDB channel), and a client link from its first command that no replica sends before that. Until
// one or the other, while it sent only PING, AUTH and REPLCONF (a replica's handshake), both readings run and
// their events are held: the replication ones (link-open first) go out as they always did once the sync is asked,
// and are dropped for a client. A link whose server speaks first, or that starts with missing bytes (a capture
// joined mid-stream), is a replication link; one that the client closes before asking is a client, unless it sent
// REPLCONF or nothing at all; one closed by the master or the proxy before it asked is shown as a replication link
// (a replica whose handshake failed).

import type { ReplEvent, ReplSink, WireLinkClose, WireLinkEvent, WireLinkOpen } from '../core/events.js';
import { ClientLink } from './client-link.js';
import { LagWatch } from './lag-watch.js';
import { LinkState } from './link-state.js';
import { MasterStream, type RdbSink } from './master-stream.js';
import { ReplicaStream } from './replica-stream.js';

export interface LinkDecoderOptions {
  /** Show AUTH passwords instead of `***`. */
  showSecrets?: boolean;
  /** Where the RDB payload goes (the streaming RDB decoder); none: the payload is only counted. */
  rdbSink?: (ctx: RdbSinkContext) => RdbSink;
  /** Arguments larger than this keep only their first bytes. */
  keepArgBytes?: number;
  /** No ACK for this long from a replica with nothing to acknowledge is an `ack-silence` (default 3 s). */
  ackTimeoutMs?: number;
  /** One `client-command` event per command of a client link (`--clients`); else they are only counted. */
  itemiseClients?: boolean;
}

/** What a link is: not yet known, a replication link, a client link. */
export type LinkRole = 'pending' | 'replication' | 'client';

/** A replica's handshake has PING, AUTH and a few REPLCONFs: a link that sends more of them without asking for a
 *  sync is a client (this also bounds what is held). */
const MAX_HANDSHAKE_COMMANDS = 32;

/** What the decoder of one link learns from another (see session.ts): inputs, like the wire events. */
export type LinkFact =
  /** Redis 8 rdb channel: the offset before the main channel's first stream byte, from its RDB channel's
   *  +FULLRESYNC */
  | { fact: 'stream-base'; link: number; offset: number }
  /** the main channel's RDB ended on its RDB channel: its next ACK measures the replica's load time */
  | { fact: 'rdb-end'; link: number; at: number };

export interface RdbSinkContext {
  link: number;
  emit: ReplSink;
  /** The snapshot's repl-stream-db: the db in force until the first SELECT. */
  setStartDb(db: number): void;
}

export class LinkDecoder {
  readonly state = new LinkState();
  readonly master: MasterStream;
  readonly replica: ReplicaStream;
  readonly lag: LagWatch;
  closed = false;
  role: LinkRole = 'pending';
  /** the client reading of the link: null once it is a replication link */
  client: ClientLink | null;
  private openEvent: WireLinkOpen | null = null;
  private firstAt: number | null = null;
  /** the replication reading's events while the role is pending */
  private held: ReplEvent[] = [];
  private handshakeCommands = 0;
  private sentReplconf = false;

  constructor(
    readonly link: number,
    private readonly emit: ReplSink,
    opts: LinkDecoderOptions = {},
  ) {
    const rdbSink = opts.rdbSink;
    const replicationEmit: ReplSink = (e) => this.replicationEvent(e);
    const ctx: RdbSinkContext = { link, emit: replicationEmit, setStartDb: (db) => this.master.setStartDb(db) };
    this.master = new MasterStream(link, this.state, replicationEmit, rdbSink ? () => rdbSink(ctx) : null, opts.keepArgBytes);
    this.lag = new LagWatch(link, this.state, replicationEmit, opts.ackTimeoutMs);
    this.replica = new ReplicaStream(link, this.state, replicationEmit, opts.showSecrets ?? false, this.lag, (offset, at) => this.master.anchor(offset, at));
    this.replica.requests = (argv, pos, end, at) => this.request(argv, pos, end, at);
    this.client = new ClientLink(link, emit, { itemise: opts.itemiseClients ?? false, showSecrets: opts.showSecrets ?? false });
  }

  /** A request while the link is not a replication link; true when it went to the client reading only. */
  private request(argv: Buffer[], pos: number, end: number, at: number): boolean {
    const client = this.client!;
    if (this.role === 'client') {
      client.request(argv, pos, end, at);
      return true;
    }
    const name = argv[0]?.toString('latin1').toUpperCase() ?? '';
    const sub = argv[1]?.toString('latin1').toUpperCase();
    if (name === 'SYNC' || name === 'PSYNC' || (name === 'REPLCONF' && sub === 'ACK')) {
      this.becomeReplication();
      return false;
    }
    client.request(argv, pos, end, at);
    if ((name === 'PING' || name === 'AUTH' || name === 'REPLCONF') && ++this.handshakeCommands <= MAX_HANDSHAKE_COMMANDS) {
      if (name === 'REPLCONF') this.sentReplconf = true;
      return false; // a replica's handshake, or a client's first commands: both readings go on
    }
    this.becomeClient();
    return true;
  }

  private replicationEvent(e: ReplEvent): void {
    if (this.role === 'replication') return this.emit(e);
    if (this.role === 'pending') {
      // bytes a server would refuse from its client: that is what this link is, and it is told
      if (e.type !== 'protocol-violation' || e.from !== 'replica') return void this.held.push(e);
      this.becomeClient();
    }
    // a client link: only what the replica-side framer says about the client's bytes
    if (e.type === 'protocol-violation') this.emit({ ...e, message: `${e.message} (from a client: a server answers -ERR Protocol error and closes the connection)` });
    else if (e.type === 'resync') this.emit(e);
  }

  private becomeReplication(): void {
    this.role = 'replication';
    this.client = null;
    this.replica.requests = null;
    const held = this.held;
    this.held = [];
    if (this.openEvent) this.emitOpen(this.openEvent);
    for (const e of held) this.emit(e);
  }

  private becomeClient(): void {
    this.role = 'client';
    const faults = this.held.filter((e) => e.type === 'fault');
    this.held = [];
    const client = this.client!;
    const o = this.openEvent;
    this.emit({ type: 'client-open', at: o?.at ?? this.firstAt ?? 0, link: this.link, client: o?.replica ?? '', master: o?.master ?? '', name: client.name, kind: client.kind, ...(o?.tls ? { tls: o.tls } : {}) });
    for (const e of faults) this.emit(e);
    client.activate();
  }

  private emitOpen(e: WireLinkOpen): void {
    this.emit({ type: 'link-open', at: e.at, link: e.link, replica: e.replica, master: e.master, ...(e.via ? { via: e.via } : {}), ...(e.tls ? { tls: e.tls } : {}) });
  }

  learn(f: LinkFact): void {
    if (f.fact === 'stream-base') this.master.setStreamBase(f.offset);
    else this.state.rdbEndAt = f.at;
  }

  feed(e: WireLinkEvent): void {
    this.firstAt ??= e.at;
    switch (e.kind) {
      case 'open':
        if (e.streamDb !== undefined) this.master.setStartDb(e.streamDb);
        if (e.replication && this.role === 'pending') this.becomeReplication();
        if (this.role === 'replication') this.emitOpen(e);
        else this.openEvent = e;
        return;
      case 'bytes':
        if (e.from === 'master') {
          // a server speaks first only to a replica (or a capture joined the link mid-stream)
          if (this.role === 'pending' && this.replica.pos === 0) this.becomeReplication();
          if (this.role !== 'client') this.master.feed(e.chunk, e.at);
          this.client?.reply(e.chunk, e.at);
        } else {
          this.replica.feed(e.chunk, e.at);
        }
        return;
      case 'gap': {
        if (this.role === 'pending') this.becomeReplication();
        const pos = e.from === 'master' ? (this.client ? this.client.replyBytes : this.master.pos) : this.replica.pos;
        const { sha256, untilAt } = e;
        this.emit({ type: 'gap', at: e.at, link: e.link, from: e.from, bytes: e.bytes, reason: e.reason, pos, end: pos + e.bytes, ...(sha256 === undefined ? {} : { sha256 }), ...(untilAt === undefined ? {} : { untilAt }) });
        if (e.from === 'replica') this.replica.gap(e.bytes, e.at);
        else if (this.client) this.client.replyGap(e.bytes);
        else this.master.gap(e.bytes, e.at, e.reason);
        return;
      }
      case 'fault': {
        const fault: ReplEvent = { type: 'fault', at: e.at, link: e.link, fault: e.fault, detail: e.detail };
        if (this.role === 'pending') this.held.push(fault); // after the link's open, whichever it turns out
        else this.emit(fault);
        return;
      }
      case 'close':
        if (this.closed) return;
        this.closed = true;
        if (this.role === 'pending') {
          // A client that is done closes its side itself. A replica whose handshake failed (the master refused or
          // unreachable, it sent REPLCONF) and a link that sent nothing (a port probe) are shown as links, as ever.
          if (e.by === 'replica' && !this.sentReplconf && this.replica.pos > 0) this.becomeClient();
          else this.becomeReplication();
        }
        if (this.client) return this.closeClient(e.at, e.by, e.reason);
        this.master.end(e.at);
        this.emit({ type: 'link-close', at: e.at, link: e.link, by: e.by, reason: e.reason });
        return;
    }
  }

  private closeClient(at: number, by: WireLinkClose['by'], reason: string): void {
    const c = this.client!;
    c.close(at);
    const openedAt = this.openEvent?.at ?? this.firstAt ?? at;
    const durationMs = at - openedAt;
    const requestBytes = this.replica.pos;
    const perSec = (n: number): number | null => (durationMs > 0 ? Math.round((n * 1000) / durationMs) : null);
    this.emit({
      type: 'client-close',
      at,
      link: this.link,
      by,
      reason,
      name: c.name,
      kind: c.kind,
      commands: c.commands,
      requestBytes,
      replyBytes: c.replyBytes,
      durationMs,
      commandsPerSec: perSec(c.commands),
      bytesPerSec: perSec(requestBytes + c.replyBytes),
    });
  }
}
