// Bad input ends in one clear report (code, file offset, what was expected) after everything valid before
// it; it never throws out of the decoder. Also: CRC64, LZF, and big values streamed without buffering.
import { describe, expect, it } from 'vitest';
import { chunkings } from '../../../helpers/chunkings.js';
import { Crc64 } from '../../../../src/decode/rdb/crc64.js';
import { lzfDecompress } from '../../../../src/decode/rdb/lzf.js';
import { RdbObserver } from '../../../../src/decode/rdb/rdb-observer.js';
import type { RdbReport } from '../../../../src/core/rdb-info.js';
import { decodeChunks } from './decode-all.js';


function errorOf(chunks: Buffer[]): Record<string, unknown> {
  const t = decodeChunks(chunks);
  const errors = t.reports.filter(([p]) => p === 'error');
  expect(errors).toHaveLength(1);
  return errors[0][1];
}

/** A minimal RDB 11 with the given body between header and EOF, and a correct CRC. */
function rdb(body: number[] | Buffer, version = '0011', magic = 'REDIS'): Buffer {
  const head = Buffer.concat([Buffer.from(magic + version, 'latin1'), Buffer.from(body)]);
  const withEof = Buffer.concat([head, Buffer.from([0xff])]);
  const crc = new Crc64();
  crc.update(withEof);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc.lo, 0);
  trailer.writeUInt32LE(crc.hi, 4);
  return Buffer.concat([withEof, trailer]);
}
const str = (s: string): number[] => [s.length, ...Buffer.from(s)];

const le = (n: bigint, bytes: number): number[] => [...Array(bytes).keys()].map((i) => Number((n >> BigInt(8 * i)) & 0xffn));
/** An RDB with aux fields, two dbs and keys with and without an expiry (ms and s), a few encodings. */
const expiration = rdb([
  0xfa, ...str('redis-ver'), ...str('7.0.15'),
  0xfa, ...str('redis-bits'), 0xc0, 64,
  0xfe, 0x00, 0xfb, 0x03, 0x02,
  0xfc, ...le(1_900_000_000_000n, 8), 0x00, ...str('session:1'), ...str('alive'),
  0xfd, ...le(1_900_000_000n, 4), 0x00, ...str('session:2'), 0xc1, ...le(4242n, 2),
  0x00, ...str('plain'), ...str('value'),
  0xfe, 0x03, 0xfb, 0x01, 0x00,
  0x00, ...str('counter'), 0xc2, ...le(123456n, 4),
]);

describe('CRC64 and LZF', () => {
  it('CRC-64/Jones check value', () => {
    const c = new Crc64();
    c.update(Buffer.from('123456789'));
    expect(c.hex()).toBe('e9c6d914c4b8d9ca');
  });
  it('CRC64 is the same fed in pieces', () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 255));
    const whole = new Crc64();
    whole.update(data);
    for (const cut of [1, 7, 8, 9, 500, 999]) {
      const c = new Crc64();
      c.update(data, 0, cut);
      c.update(data, cut, data.length);
      expect(c.hex()).toBe(whole.hex());
    }
  });
  it('LZF: literal runs and overlapping back-references', () => {
    // literal "ab", then a back-reference of length 6 at distance 2 -> "abababab"
    const src = Buffer.from([0x01, 0x61, 0x62, (4 << 5) | 0, 0x01]);
    expect((lzfDecompress(src, 0, src.length, 8) as Buffer).toString()).toBe('abababab');
    expect(lzfDecompress(src, 0, src.length, 9)).toMatch(/declared/);
    expect(lzfDecompress(Buffer.from([0x20, 0x05]), 0, 2, 4)).toMatch(/before the start/);
  });
});

describe('bad input', () => {
  it('wrong magic: error at offset 0', () => {
    const e = errorOf([Buffer.from('HELLO0011\xff', 'latin1')]);
    expect(e).toMatchObject({ code: 'RDB_BAD_MAGIC', pos: 0 });
  });
  it('a VKCS envelope is recognised, not decoded', () => {
    expect(errorOf([Buffer.from('VKCS\x01\x01\x00\x00\x00', 'latin1')])).toMatchObject({ code: 'RDB_COMPRESSED_ENVELOPE', pos: 0 });
  });
  it('version 0 is refused', () => {
    expect(errorOf([Buffer.from('REDIS0000\xff', 'latin1')])).toMatchObject({ code: 'RDB_BAD_VERSION' });
  });
  it('truncated at every length: one RDB_TRUNCATED error at the end, keys before it reported', () => {
    const whole = decodeChunks([expiration]);
    expect(whole.final).toMatchObject({ complete: true, checksum: 'verified', keys: 4, keysWithExpiry: 2 });
    for (let n = 0; n < expiration.length; n++) {
      const t = decodeChunks([expiration.subarray(0, n)]);
      const errors = t.reports.filter(([p]) => p === 'error');
      expect(errors, `cut at ${n}`).toHaveLength(1);
      expect(errors[0][1]).toMatchObject({ code: 'RDB_TRUNCATED', pos: n });
      expect(t.final.complete).toBe(false);
      // every key reported is one the whole file has, in order
      expect(t.keys).toEqual(whole.keys.slice(0, t.keys.length));
    }
  });
  it('CRC mismatch: error at the trailer, then the summary says mismatch', () => {
    const bad = Buffer.from(expiration);
    bad[bad.length - 1] ^= 0x01; // in the stored checksum
    for (const c of chunkings(bad, 3)) {
      const t = decodeChunks(c.chunks);
      expect(t.reports.map(([p]) => p), c.name).toEqual(['header', 'error', 'summary']);
      expect(t.reports[1][1]).toMatchObject({ code: 'RDB_CRC_MISMATCH', pos: expiration.length - 8 });
      expect(t.final.checksum).toBe('mismatch');
    }
  });
  it('checksum not verified (live option): the same keys and summary, no error even when the CRC is wrong', () => {
    const bad = Buffer.from(expiration);
    bad[bad.length - 1] ^= 0x01; // in the stored checksum
    const verified = decodeChunks([expiration]);
    for (const input of [expiration, bad]) {
      for (const c of chunkings(input, 3)) {
        const t = decodeChunks(c.chunks, 5, false);
        expect(t.reports.map(([p]) => p), c.name).toEqual(['header', 'summary']);
        expect(t.keys, c.name).toEqual(verified.keys);
        const { checksum, storedCrc, computedCrc, ...rest } = t.final;
        expect([checksum, computedCrc], c.name).toEqual(['not-verified', undefined]);
        expect(storedCrc, c.name).toBe(Buffer.from(input.subarray(-8)).reverse().toString('hex'));
        const { checksum: _c, storedCrc: _s, computedCrc: _cc, ...verifiedRest } = verified.final;
        expect(rest, c.name).toEqual(verifiedRest);
      }
    }
  });
  it('type bytes are read by flavor: 24 is Redis HASH_METADATA, unknown in RDB 11 and in Valkey files', () => {
    const body = [0xfe, 0, 24, ...str('h'), 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(decodeChunks([rdb(body, '0012')]).final).toMatchObject({ complete: true, rdbTypes: { HASH_METADATA: 1 } });
    expect(errorOf([rdb(body, '0011')])).toMatchObject({ code: 'RDB_UNKNOWN_TYPE', pos: 11 });
    expect(errorOf([rdb(body, '080', 'VALKEY')])).toMatchObject({ code: 'RDB_UNKNOWN_TYPE', pos: 11 });
  });
  it('a corrupt listpack is reported at its string, with what was expected', () => {
    // hash listpack whose header claims 20 bytes but the blob has 7
    const lp = [20, 0, 0, 0, 0, 0, 0xff];
    const e = errorOf([rdb([0xfe, 0, 16, ...str('h'), lp.length, ...lp])]);
    expect(e).toMatchObject({ code: 'RDB_CORRUPT_CONTAINER', pos: 14 });
    expect(e.expected).toBe('total_bytes = blob size 7');
  });
  it('random garbage after a valid header never throws', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 300; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
      const input = Buffer.concat([Buffer.from('REDIS0011'), junk]);
      const t = decodeChunks([input]);
      expect(t.reports.at(-1)![0]).toBe('summary');
    }
  });
});

describe('streaming', () => {
  it('a 3 MB string value is skipped as it streams by (not buffered), keys and size exact', () => {
    const big = 3 * 1024 * 1024;
    const value = Buffer.concat([Buffer.from([0x80]), Buffer.from([0, (big >> 16) & 255, (big >> 8) & 255, big & 255].slice(0)), Buffer.alloc(big, 0x61)]);
    value.writeUInt32BE(big, 1);
    const file = rdb(Buffer.concat([Buffer.from([0xfe, 0, 0, ...str('big')]), value.subarray(0, 5 + big), Buffer.from([0, ...str('k'), ...str('v')])]));
    const o = new RdbObserver();
    const reports: string[] = [];
    let maxHeap = 0;
    const before = process.memoryUsage().arrayBuffers;
    for (let p = 0; p < file.length; p += 16384) {
      o.feed(file.subarray(p, p + 16384), (r) => reports.push(r.phase));
      maxHeap = Math.max(maxHeap, process.memoryUsage().arrayBuffers - before);
    }
    o.end((r) => reports.push(r.phase));
    const s = o.info();
    expect(reports).toEqual(['header', 'summary']);
    expect(s).toMatchObject({ keys: 2, checksum: 'verified', types: { string: { raw: 1, embstr: 1 } } });
    expect(s.largestKeys[0]).toMatchObject({ key: 'big', bytes: 1 + 4 + 5 + big });
    expect(maxHeap).toBeLessThan(big); // no copy of the value was kept
  });
  it('header is reported once all leading AUX fields are known', () => {
    const file = rdb([0xfa, ...str('redis-ver'), ...str('7.0.15'), 0xfa, ...str('repl-offset'), 0xc0, 42, 0xfe, 0]);
    const reports: [string, RdbReport['info']][] = [];
    const o = new RdbObserver();
    o.feed(file.subarray(0, 38), (r) => reports.push([r.phase, r.info]));
    expect(reports).toEqual([]);
    o.feed(file.subarray(38), (r) => reports.push([r.phase, r.info]));
    expect(reports[0]).toEqual(['header', { magic: 'REDIS', version: 11, flavor: 'shared', aux: { 'redis-ver': '7.0.15', 'repl-offset': '42' } }]);
    expect(reports[1][1]).toMatchObject({ replOffset: 42, serverVersion: '7.0.15', checksum: 'verified', keys: 0 });
  });
});
