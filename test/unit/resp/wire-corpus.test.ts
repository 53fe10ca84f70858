// Every recorded connection of the wire corpus frames without an error under every chunking: what the master
// sent as replication, what the replica sent as requests, with one RDB payload per full sync.
import { describe, expect, it } from 'vitest';
import { requireCorpus } from '../../helpers/corpus.js';
import { frameEveryChunking, type Segment } from '../../helpers/segments.js';
import { loadWireSession, wireSessionNames } from '../../helpers/wire-corpus.js';

const hasCorpus = requireCorpus('wire', 'RespFramer on the recorded sessions');

const count = (segments: Segment[], kind: Segment['kind']) => segments.filter((s) => s.kind === kind).length;

describe.skipIf(!hasCorpus)('RespFramer on the recorded sessions', () => {
  for (const name of hasCorpus ? wireSessionNames() : []) {
    it(name, () => {
      for (const conn of loadWireSession(name).conns) {
        const m2r = frameEveryChunking('replication', conn.m2r).segments;
        const r2m = frameEveryChunking('requests', conn.r2m).segments;
        expect([count(m2r, 'error'), count(r2m, 'error')], `conn${conn.conn}`).toEqual([0, 0]);
        // one snapshot per connection that asked for a full sync and got +FULLRESYNC or Valkey's $ENDOFF:
        const fullSync = m2r.some((s) => s.kind === 'reply' && /^(\+FULLRESYNC|\$ENDOFF:)/.test(s.head));
        const payloads = m2r.filter((s) => s.kind === 'rdb');
        expect(payloads.length, `conn${conn.conn}`).toBe(fullSync ? 1 : 0);
        for (const p of payloads) expect(p.kind === 'rdb' && p.body.slice(0, 5)).toBe('REDIS');
        expect(count(r2m, 'command'), `conn${conn.conn}`).toBeGreaterThan(0);
      }
    });
  }
});
