// Every recorded connection of ../shared/corpus/wire frames without an error under every chunking: what the master
// sent as replication, what the replica sent as requests, with one RDB payload per full sync.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCI } from '../../helpers/redis.js';
import { frameEveryChunking, type Segment } from '../../helpers/segments.js';
import { loadWireSession, repoRoot, wireSessionNames } from '../../helpers/wire-corpus.js';

const hasCorpus = existsSync(path.resolve(repoRoot, '../shared/corpus/wire'));
if (!hasCorpus) console.warn('SKIPPED: ../shared/corpus/wire is missing, the recorded sessions are not framed');

const count = (segments: Segment[], kind: Segment['kind']) => segments.filter((s) => s.kind === kind).length;

describe('RespFramer on the recorded sessions', () => {
  it.runIf(isCI())('has the corpus under CI', () => expect(hasCorpus, '../shared/corpus/wire is missing').toBe(true));

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
