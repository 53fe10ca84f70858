// Turns a recorded session of the wire corpus into the WireEvents the proxy would have emitted,
// chunk by chunk with the recorded times (every connection is one link).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { WireEvent } from '../../../src/core/events.js';
import { corpusPath } from '../../helpers/corpus.js';

export function corpusEvents(session: string, t0 = 1_700_000_000_000): WireEvent[] {
  const dir = corpusPath('wire', session);
  const conns = readdirSync(dir)
    .map((f) => /^conn(\d+)\.chunks\.jsonl$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const timed: Array<{ t: number; e: WireEvent }> = [];
  for (const link of conns) {
    const bytes = { r2m: readFileSync(path.join(dir, `conn${link}.r2m.bin`)), m2r: readFileSync(path.join(dir, `conn${link}.m2r.bin`)) };
    const pos = { r2m: 0, m2r: 0 };
    const lines = readFileSync(path.join(dir, `conn${link}.chunks.jsonl`), 'utf8').trim().split('\n');
    const chunks = lines.map((l) => JSON.parse(l) as { t: number; dir: 'r2m' | 'm2r'; len: number });
    timed.push({ t: chunks[0]!.t, e: { kind: 'open', link, at: t0 + chunks[0]!.t, replica: '127.0.0.1:40000', master: '127.0.0.1:6379' } });
    for (const c of chunks) {
      const chunk = bytes[c.dir].subarray(pos[c.dir], pos[c.dir] + c.len);
      pos[c.dir] += c.len;
      timed.push({ t: c.t, e: { kind: 'bytes', link, at: t0 + c.t, from: c.dir === 'r2m' ? 'replica' : 'master', chunk } });
    }
    const last = chunks[chunks.length - 1]!.t;
    timed.push({ t: last, e: { kind: 'close', link, at: t0 + last, by: 'proxy', reason: 'end of recording' } });
  }
  // stable sort: links interleave by time, each link keeps its own order
  return timed.sort((a, b) => a.t - b.t).map((x) => x.e);
}
