import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RdbBodyElider, type Piece } from '../../../src/capture/rdb-elider.js';
import { chunkings, sampledChunkings } from '../../helpers/chunkings.js';
import { corpusPath, requireCorpus } from '../../helpers/corpus.js';

const hasCorpus = requireCorpus('wire', 'the RDB elider on the recorded disk and diskless sessions');
const corpus = (session: string) => readFileSync(corpusPath('wire', session, 'conn1.m2r.bin'));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function run(chunks: Buffer[], finish = false): { kept: Buffer; elided: Piece[] } {
  const elider = new RdbBodyElider();
  const kept: Buffer[] = [];
  const elided: Piece[] = [];
  for (const chunk of chunks) {
    for (const p of elider.feed(chunk)) (p.kind === 'keep' ? kept.push(p.chunk) : elided.push(p));
  }
  const rest = finish ? elider.finish() : null;
  if (rest) elided.push(rest);
  return { kept: Buffer.concat(kept), elided };
}

/** Splits a master→replica stream at a known body: [before, body, after]. */
function expectElided(input: Buffer, bodyStart: number, bodyEnd: number, chunkingsOf = sampledChunkings) {
  const body = input.subarray(bodyStart, bodyEnd);
  const kept = Buffer.concat([input.subarray(0, bodyStart), input.subarray(bodyEnd)]);
  for (const { name, chunks } of chunkingsOf(input)) {
    const r = run(chunks);
    expect(r.elided, name).toEqual([{ kind: 'elided', bytes: body.length, sha256: sha256(body), complete: true }]);
    expect(r.kept.equals(kept), name).toBe(true);
  }
}

describe('RdbBodyElider', () => {
  it.skipIf(!hasCorpus)('leaves out exactly the body of a disk-based `$<len>` transfer (real session)', () => {
    const input = corpus('r70-disk-auth');
    const line = input.indexOf('$316\r\n');
    expectElided(input, line + 6, line + 6 + 316);
  });

  it.skipIf(!hasCorpus)('leaves out the body of a diskless `$EOF:` transfer and keeps both marks (real session)', () => {
    const input = corpus('r70-diskless');
    const start = input.indexOf('$EOF:') + 5;
    const mark = input.subarray(start, start + 40);
    const bodyStart = start + 42;
    const bodyEnd = input.indexOf(mark, bodyStart);
    expect(bodyEnd).toBeGreaterThan(bodyStart);
    expectElided(input, bodyStart, bodyEnd);
  });

  it('a mark that starts in bytes held back from earlier chunks, every split', () => {
    const mark = 'a'.repeat(39) + 'b';
    const input = Buffer.from(`+FULLRESYNC ${'f'.repeat(40)} 0\r\n$EOF:${mark}\r\nREDIS-body-aaaa${mark}*1\r\n$4\r\nping\r\n`);
    const bodyStart = input.indexOf('REDIS');
    expectElided(input, bodyStart, bodyStart + 15, chunkings);
  });

  it('keeps everything of a partial resync and of a stream without handshake', () => {
    const cont = Buffer.from('+CONTINUE abc\r\n$3\r\nfoo\r\n*1\r\n$4\r\nping\r\n');
    const stream = Buffer.from('*1\r\n$4\r\nping\r\n$5\r\n');
    for (const input of [cont, stream]) {
      for (const { name, chunks } of chunkings(input)) {
        const r = run(chunks, true);
        expect(r.elided, name).toEqual([]);
        expect(r.kept.equals(input), name).toBe(true);
      }
    }
  });

  it("keeps a client's replies whole: a `$` reply without a +FULLRESYNC before it is no RDB", () => {
    const input = Buffer.from('+PONG\r\n$1\r\nx\r\n$5\r\nhello\r\n+OK\r\n');
    for (const { name, chunks } of chunkings(input)) {
      const r = run(chunks, true);
      expect(r.elided, name).toEqual([]);
      expect(r.kept.equals(input), name).toBe(true);
    }
  });

  it('a link that ends inside the body reports the part seen, as incomplete', () => {
    const input = Buffer.from('+FULLRESYNC x 0\r\n$100\r\nREDIS0011');
    const r = run([input], true);
    expect(r.kept.toString()).toBe('+FULLRESYNC x 0\r\n$100\r\n');
    expect(r.elided).toEqual([{ kind: 'elided', bytes: 9, sha256: sha256(Buffer.from('REDIS0011')), complete: false }]);
  });
});
