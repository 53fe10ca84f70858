// Wire events in (from the live proxy or a capture), decoded ReplEvents out to every subscriber.
// One LinkDecoder per link plus the Session for cross-link facts, and the resync analysis, which gives every
// +FULLRESYNC / +CONTINUE its reason before anyone sees it (from the wire, and from the servers' INFO when a side
// connection read it), and the check of the address each replica is known by (replica-address). Subscribers are isolated: one that throws is disabled and reported once, and nothing here
// can reach back into the forward path.

import type { ClientKind, From, ReplEvent, ReplSink, WireEvent, WireSink } from '../core/events.js';
import { parseReplicationInfo } from './analysis/master-info.js';
import { ReplicaAddressCheck } from './analysis/replica-address.js';
import { ResyncAnalyzer } from './analysis/resync-analyzer.js';
import { LinkDecoder, type LinkDecoderOptions } from './link-decoder.js';
import type { Lag } from './link-state.js';
import { Session } from './session.js';

export interface PipelineOptions extends LinkDecoderOptions {
  /** Called once when a subscriber throws (it is then disabled). */
  onSubscriberError?: (err: unknown) => void;
}

/** One link's lag at a moment (see LagWatch): what `ack` and `lag` events say, read between them. */
export interface LinkLag extends Lag {
  link: number;
  /** no ACK for longer than the silence limit (an `ack-silence` not yet followed by an ACK) */
  ackSilent: boolean;
}

export interface Pipeline {
  wire(e: WireEvent): void;
  /** An event that does not come from the wire (the capture's losses): straight to the subscribers. */
  note(e: ReplEvent): void;
  subscribe(fn: ReplSink): () => void;
  /** The wire events themselves, before decoding (e.g. bytes forwarded, for metrics); isolated like subscribers. */
  tapWire(fn: WireSink): () => void;
  /** Anyone listening, to decoded or wire events (else a live command need not decode at all). */
  readonly hasSubscribers: boolean;
  /** The lag of every open link that has acknowledged something, at `at` (e.g. for a metrics endpoint). */
  currentLag(at: number): LinkLag[];
  /** What an open link is so far (null: no such open link); a client's kind and name as known. */
  linkRole(link: number): LinkRoleInfo | null;
  end(at: number): void;
}

export type LinkRoleInfo = { role: 'pending' | 'replication' } | { role: 'client'; kind: ClientKind; name: string | null };

export function createPipeline(opts: PipelineOptions = {}): Pipeline {
  const subscribers = new Set<ReplSink>();
  const taps = new Set<WireSink>();
  const decoders = new Map<number, LinkDecoder>();
  const failed = new Set<number>(); // links whose decoder threw: only their close is still reported

  const deliver = <E>(fns: Set<(e: E) => void>, e: E): void => {
    for (const fn of fns) {
      try {
        fn(e);
      } catch (err) {
        fns.delete(fn);
        opts.onSubscriberError?.(err);
      }
    }
  };
  const masterOf = new Map<number, string>(); // link → its upstream, from its link-open
  const publish = (e: ReplEvent): void => {
    if (e.master === undefined) {
      const master = masterOf.get(e.link);
      if (master !== undefined) e.master = master;
    }
    deliver(subscribers, e);
  };
  const session = new Session(publish, (fact) => decoders.get(fact.link)?.learn(fact));
  const analyzer = new ResyncAnalyzer();
  const addresses = new ReplicaAddressCheck();
  const enriched: ReplEvent[] = []; // events the analysis emitted, published after the one it saw
  const enrichEmit: ReplSink = (x) => enriched.push(x);
  const emit: ReplSink = (decoded) => {
    // the bulk of the events: neither the analysis nor the session looks at them
    if (decoded.type === 'command' || decoded.type === 'client-command') return publish(decoded);
    let e: ReplEvent = decoded;
    try {
      e = analyzer.observe(decoded, enrichEmit);
      addresses.observe(e, enrichEmit);
    } catch (err) {
      opts.onSubscriberError?.(err); // an analysis bug costs its annotation, never the event
    }
    publish(e);
    session.observe(e);
    if (enriched.length > 0) for (const x of enriched.splice(0)) publish(x);
  };

  /** Runs one decoder step; a decoder bug is reported once and stops decoding that link (forwarding never
   *  depends on us), only its close is still reported. */
  const guarded = (link: number, at: number, from: From, step: () => void): void => {
    try {
      step();
    } catch (err) {
      failed.add(link);
      publish({ type: 'protocol-violation', at, link, from, code: 'RSPY_DECODER_BUG', pos: -1, end: -1, message: `decoder failed: ${err instanceof Error ? err.message : String(err)}`, excerptHex: '' });
    }
  };

  const wire = (e: WireEvent): void => {
    if (taps.size > 0) deliver(taps, e);
    if (e.kind === 'tick') {
      for (const [link, d] of decoders) if (!failed.has(link)) guarded(link, e.at, 'replica', () => d.lag.tick(e.at));
      return;
    }
    if (e.kind === 'side-event') {
      publish({ ...e.event }); // a copy: subscribers may add to it, the capture holds the original
      return;
    }
    if (e.kind === 'server-info') {
      const info = parseReplicationInfo(e.text, e.at);
      if (info) analyzer.setMasterInfo(e.server, info);
      return;
    }
    if (e.kind === 'open') {
      masterOf.set(e.link, e.master);
      addresses.listenersOf(e.link, e.listeners ?? null);
    }
    let d = decoders.get(e.link);
    if (!d) {
      d = new LinkDecoder(e.link, emit, opts);
      decoders.set(e.link, d);
    }
    const decoder = d;
    if (!failed.has(e.link) || e.kind === 'close') guarded(e.link, e.at, e.kind === 'bytes' || e.kind === 'gap' ? e.from : 'master', () => decoder.feed(e));
    if (e.kind === 'close') {
      decoders.delete(e.link);
      failed.delete(e.link);
      masterOf.delete(e.link);
    }
  };

  return {
    wire,
    note: publish,
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    tapWire(fn) {
      taps.add(fn);
      return () => taps.delete(fn);
    },
    get hasSubscribers() {
      return subscribers.size > 0 || taps.size > 0;
    },
    currentLag(at) {
      const out: LinkLag[] = [];
      for (const [link, d] of decoders) {
        const lag = d.lag.current(at);
        if (lag) out.push({ link, ...lag, ackSilent: d.lag.ackSilent });
      }
      return out;
    },
    linkRole(link) {
      const d = decoders.get(link);
      if (!d) return null;
      if (d.role === 'client' && d.client) return { role: 'client', kind: d.client.kind, name: d.client.name };
      return { role: d.role === 'client' ? 'pending' : d.role };
    },
    end(at) {
      // the same guarded close as a live one: a decoder bug here must not stop the caller's shutdown
      for (const link of [...decoders.keys()]) wire({ kind: 'close', link, at, by: 'proxy', reason: 'end of input' });
    },
  };
}
