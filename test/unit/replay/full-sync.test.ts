import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitSnapshot } from '../../../src/replay/full-sync.js';
import { corpusPath, requireCorpus } from '../../helpers/corpus.js';

const hasCorpus = requireCorpus('wire', 'splitSnapshot on the recorded disk and diskless sessions');
const m2r = (session: string) => readFileSync(corpusPath('wire', session, 'conn1.m2r.bin'));

describe('splitSnapshot: the RDB payload and the stream after it, as replay --to sends them', () => {
  it.skipIf(!hasCorpus)('disk-based: exactly the $<len> bytes, the stream right after', () => {
    const bytes = m2r('r70-disk-auth');
    const at = bytes.indexOf('$316\r\n') + 6;
    const split = splitSnapshot(bytes)!;
    expect(split.rdb.equals(bytes.subarray(at, at + 316))).toBe(true);
    expect(split.rest.equals(bytes.subarray(at + 316))).toBe(true);
    expect(split.rdb.subarray(0, 5).toString()).toBe('REDIS');
  });

  it.skipIf(!hasCorpus)('diskless: the payload between the marks, the stream after the second mark', () => {
    const bytes = m2r('r70-diskless');
    const markAt = bytes.indexOf('$EOF:') + 5;
    const mark = bytes.subarray(markAt, markAt + 40);
    const start = markAt + 42;
    const end = bytes.indexOf(mark, start);
    const split = splitSnapshot(bytes)!;
    expect(split.rdb.equals(bytes.subarray(start, end))).toBe(true);
    expect(split.rest.equals(bytes.subarray(end + 40))).toBe(true);
  });

  it('no snapshot (partial resync): null', () => {
    expect(splitSnapshot(Buffer.from('+CONTINUE abc\r\n*1\r\n$4\r\nping\r\n'))).toBeNull();
  });
});
