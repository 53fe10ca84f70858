// Wire events in (from the live proxy or a capture), decoded ReplEvents out to every subscriber.
// One LinkDecoder per link plus the Session for cross-link facts. Subscribers are isolated: one that throws is
// disabled and reported once, and nothing here can reach back into the forward path.

import type { ReplEvent, ReplSink, WireEvent } from './events.js';
import { LinkDecoder, type LinkDecoderOptions } from '../decode/link-decoder.js';
import { Session } from '../decode/session.js';

export interface PipelineOptions extends LinkDecoderOptions {
  /** Sees every decoded event before the subscribers: may add fields to it (e.g. a resync reason) and emit
   *  events of its own, published right after it. */
  enrich?: (e: ReplEvent, emit: ReplSink) => void;
  /** Called once when a subscriber throws (it is then disabled). */
  onSubscriberError?: (err: unknown) => void;
}

export interface Pipeline {
  wire(e: WireEvent): void;
  /** An event that does not come from the wire (the capture's losses): straight to the subscribers. */
  note(e: ReplEvent): void;
  subscribe(fn: ReplSink): () => void;
  end(at: number): void;
}

export function createPipeline(opts: PipelineOptions = {}): Pipeline {
  const subscribers = new Set<ReplSink>();
  const decoders = new Map<number, LinkDecoder>();
  const failed = new Set<number>(); // links whose decoder threw: only their close is still reported

  const publish = (e: ReplEvent): void => {
    for (const fn of subscribers) {
      try {
        fn(e);
      } catch (err) {
        subscribers.delete(fn);
        opts.onSubscriberError?.(err);
      }
    }
  };
  const session = new Session(publish, {
    setStreamBase: (link, offset) => decoders.get(link)?.master.setStreamBase(offset),
    setRdbEnd: (link, at) => {
      const d = decoders.get(link);
      if (d) d.state.rdbEndAt = at;
    },
  });
  const enriched: ReplEvent[] = []; // events the enrich stage emitted, published after the one it saw
  const enrichEmit: ReplSink = (x) => enriched.push(x);
  const emit: ReplSink = (e) => {
    if (opts.enrich) {
      try {
        opts.enrich(e, enrichEmit);
      } catch (err) {
        opts.onSubscriberError?.(err); // an analysis bug costs its annotation, never the event
      }
    }
    publish(e);
    session.observe(e);
    if (enriched.length > 0) for (const x of enriched.splice(0)) publish(x);
  };

  const wire = (e: WireEvent): void => {
    let d = decoders.get(e.link);
    if (!d) {
      d = new LinkDecoder(e.link, emit, opts);
      decoders.set(e.link, d);
    }
    try {
      if (!failed.has(e.link) || e.kind === 'close') d.feed(e);
    } catch (err) {
      // A decoder bug: report it once and stop decoding this link; forwarding never depends on us.
      failed.add(e.link);
      publish({ type: 'protocol-violation', at: e.at, link: e.link, from: e.kind === 'bytes' || e.kind === 'gap' ? e.from : 'master', code: 'RSPY_DECODER_BUG', pos: -1, message: `decoder failed: ${err instanceof Error ? err.message : String(err)}`, excerptHex: '' });
    }
    if (e.kind === 'close') {
      decoders.delete(e.link);
      failed.delete(e.link);
    }
  };

  return {
    wire,
    note: publish,
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    end(at) {
      // the same guarded close as a live one: a decoder bug here must not stop the caller's shutdown
      for (const link of [...decoders.keys()]) wire({ kind: 'close', link, at, by: 'proxy', reason: 'end of input' });
    },
  };
}
