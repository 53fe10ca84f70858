// One link = one replica connection through the proxy. Feeds each direction's bytes to its decoder; both share
// the link's offsets and timing (LinkState); clock ticks go to its LagWatch. Pure: wire events in, ReplEvents out.

import type { ReplSink, WireLinkEvent } from '../core/events.js';
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
}

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

  constructor(
    readonly link: number,
    private readonly emit: ReplSink,
    opts: LinkDecoderOptions = {},
  ) {
    const rdbSink = opts.rdbSink;
    const ctx: RdbSinkContext = { link, emit, setStartDb: (db) => this.master.setStartDb(db) };
    this.master = new MasterStream(link, this.state, emit, rdbSink ? () => rdbSink(ctx) : null, opts.keepArgBytes);
    this.lag = new LagWatch(link, this.state, emit, opts.ackTimeoutMs);
    this.replica = new ReplicaStream(link, this.state, emit, opts.showSecrets ?? false, this.lag, (offset, at) => this.master.anchor(offset, at));
  }

  learn(f: LinkFact): void {
    if (f.fact === 'stream-base') this.master.setStreamBase(f.offset);
    else this.state.rdbEndAt = f.at;
  }

  feed(e: WireLinkEvent): void {
    switch (e.kind) {
      case 'open':
        this.emit({ type: 'link-open', at: e.at, link: e.link, replica: e.replica, master: e.master, ...(e.via ? { via: e.via } : {}), ...(e.tls ? { tls: e.tls } : {}) });
        return;
      case 'bytes':
        if (e.from === 'master') this.master.feed(e.chunk, e.at);
        else this.replica.feed(e.chunk, e.at);
        return;
      case 'gap': {
        const pos = e.from === 'master' ? this.master.pos : this.replica.pos;
        const { sha256, untilAt } = e;
        this.emit({ type: 'gap', at: e.at, link: e.link, from: e.from, bytes: e.bytes, reason: e.reason, pos, end: pos + e.bytes, ...(sha256 === undefined ? {} : { sha256 }), ...(untilAt === undefined ? {} : { untilAt }) });
        if (e.from === 'master') this.master.gap(e.bytes, e.at, e.reason);
        else this.replica.gap(e.bytes, e.at);
        return;
      }
      case 'fault':
        this.emit({ type: 'fault', at: e.at, link: e.link, fault: e.fault, detail: e.detail });
        return;
      case 'close':
        if (this.closed) return;
        this.closed = true;
        this.master.end(e.at);
        this.emit({ type: 'link-close', at: e.at, link: e.link, by: e.by, reason: e.reason });
        return;
    }
  }
}
