// Every file of the RDB corpus decodes to what MANIFEST.md (an independent walker) says about it, under
// every chunking; the deliberately broken ones end in one clear error with the file offset.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkings, sampledChunkings } from '../../../helpers/chunkings.js';
import { decodeChunks } from './decode-all.js';
import { requireCorpus } from '../../../helpers/corpus.js';
import { MANIFEST_TYPES, corpusDir, readManifest } from './manifest.js';

const hasCorpus = requireCorpus('rdb', 'decoding of every RDB corpus file against its MANIFEST');
const entries = hasCorpus ? readManifest() : [];

describe.skipIf(!hasCorpus)('RDB corpus (MANIFEST.md)', () => {
  it('lists every corpus file', () => {
    expect(entries.length).toBe(135);
    for (const e of entries) expect(fs.statSync(path.join(corpusDir, e.file)).size, e.file).toBe(e.bytes);
  });

  for (const e of entries) {
    describe(e.file, () => {
      const input = fs.readFileSync(path.join(corpusDir, e.file));
      const whole = decodeChunks([input]);
      const s = whole.final;

      it('matches the manifest', () => {
        expect(`${s.magic}`).toBe(e.magic.replace(/\d+$/, ''));
        expect(s.version).toBe(e.version);
        const rdbTypes: Record<string, number> = {};
        for (const [name, n] of Object.entries(e.types)) {
          const mine = MANIFEST_TYPES[name];
          expect(mine, `manifest type ${name}`).toBeDefined();
          rdbTypes[mine] = n;
        }
        expect(s.rdbTypes).toEqual(rdbTypes);
        expect(s.keys).toBe(Object.values(e.types).reduce((a, b) => a + b, 0));
        expect(s.opcodes).toEqual(e.opcodes);
        expect(Object.keys(s.aux as object).sort()).toEqual([...e.aux].sort());
        expect(s.serverVersion).toBe(e.serverVersion);
        expect(s.trailingBytes).toBe(e.trailingBytes);
        const errors = whole.reports.filter(([p]) => p === 'error');
        if (e.status === 'stopped') {
          expect(s.complete).toBe(false);
          expect(errors).toHaveLength(1);
          const err = errors[0][1] as { code: string; pos: number; message: string; expected: string };
          // the manifest's walker reports where its read failed; the decoder, where the bad item starts
          expect(err.pos).toBeLessThanOrEqual(e.stoppedAt!);
          expect(err.pos).toBeGreaterThanOrEqual(e.stoppedAt! - 16);
          expect(err.expected.length).toBeGreaterThan(0);
          if (/unsupported object type (\d+)/.test(e.stopReason!)) {
            expect(err.code).toBe('RDB_UNKNOWN_TYPE');
            expect(err.message).toContain(e.stopReason!.match(/type (\d+)/)![1]);
          } else {
            expect(err.code).toBe('RDB_CORRUPT_CONTAINER');
          }
        } else {
          expect(errors).toEqual([]);
          expect(s.complete).toBe(true);
          expect(s.checksum).toBe({ verified: 'verified', zero: 'not-computed', ok: 'absent' }[e.status]);
          expect(s.bytes).toBe(e.bytes - e.trailingBytes);
        }
      });

      it('reports the same under every chunking', () => {
        const all = input.length <= 2048 ? chunkings(input, 10) : sampledChunkings(input, 60, 5);
        for (const c of all) {
          const t = decodeChunks(c.chunks);
          expect(t.reports, c.name).toEqual(whole.reports);
          expect(t.keys, c.name).toEqual(whole.keys);
          expect(t.final, c.name).toEqual(whole.final);
        }
      });
    });
  }
});
