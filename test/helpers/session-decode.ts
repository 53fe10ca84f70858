// A recorded session (from the corpus, or recorded by a test from the servers it started) through the pipeline,
// and the decoded facts that must not depend on how its bytes were chunked.
import { createPipeline } from '../../src/decode/pipeline.js';
import type { ReplEvent } from '../../src/core/events.js';
import { sessionWireEvents, type Rechunk, type WireSession } from './wire-corpus.js';

export function decodeSession(s: WireSession, rechunk?: Rechunk, showSecrets = false): ReplEvent[] {
  const p = createPipeline({ showSecrets });
  const out: ReplEvent[] = [];
  p.subscribe((e) => out.push(e.type === 'command' ? { ...e, argv: e.argv.map((a) => Buffer.from(a)) } : e));
  for (const w of sessionWireEvents(s, rechunk)) p.wire(w);
  p.end(1e12);
  return out;
}

/** What must not depend on chunking: per link and direction, the decoded facts without times and lags. */
export function chunkingFreeFacts(events: ReplEvent[]): string[] {
  return events
    .filter((e) => e.type !== 'rdb-progress' && e.type !== 'shared-snapshot' && e.type !== 'link-pair')
    .map((e) => {
      const { at: _at, ...rest } = e as ReplEvent & Record<string, unknown>;
      if (e.type === 'ack') return `${e.link} ack ${e.offset}`;
      if (e.type === 'rdb-start') return `${e.link} rdb-start ${e.mode} ${e.size} ka=${e.keepalives}`;
      if (e.type === 'rdb-end') return `${e.link} rdb-end ${e.bytes}`;
      if (e.type === 'command') return `${e.link} command ${e.offset} ${e.db} ${e.argv.map((a) => a.toString('latin1')).join(' ')}`;
      return `${e.link} ${JSON.stringify(rest)}`;
    })
    .sort();
}
