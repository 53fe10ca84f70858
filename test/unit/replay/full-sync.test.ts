import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeHeader, encodeRecord } from '../../../src/capture/format.js';
import { openCapture } from '../../../src/capture/reader.js';
import type { WireEvent } from '../../../src/core/events.js';
import { extractFullSync, SnapshotLocator } from '../../../src/replay/full-sync.js';
import { sampledChunkings } from '../../helpers/chunkings.js';
import { corpusPath, requireCorpus } from '../../helpers/corpus.js';

const hasCorpus = requireCorpus('wire', 'the snapshot locator on the recorded disk and diskless sessions');
const m2r = (session: string) => readFileSync(corpusPath('wire', session, 'conn1.m2r.bin'));

/** The snapshot and what follows it, as the locator finds them when the bytes come in these chunks. */
function split(bytes: Buffer, chunks: Buffer[] = [bytes]): { rdb: Buffer; rest: Buffer } | null {
  const locator = new SnapshotLocator();
  for (const c of chunks) locator.feed(c);
  const f = locator.found;
  return f && { rdb: bytes.subarray(f.rdbStart, f.rdbEnd), rest: bytes.subarray(f.streamStart) };
}

const REPLID = 'a'.repeat(40);
const MARK = 'm'.repeat(40);
const command = (...argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

describe('SnapshotLocator: where the RDB payload and the stream after it lie, as replay --to sends them', () => {
  const body = Buffer.from(`REDIS0011${'x'.repeat(300)}`);
  const stream = command('SELECT', '0') + command('SET', 'k', 'v');
  const cases = {
    'disk-based ($<len>)': { bytes: Buffer.concat([Buffer.from(`+FULLRESYNC ${REPLID} 0\r\n\n\n$${body.length}\r\n`), body, Buffer.from(stream)]) },
    'diskless ($EOF:<mark>)': { bytes: Buffer.concat([Buffer.from(`+FULLRESYNC ${REPLID} 0\r\n$EOF:${MARK}\r\n`), body, Buffer.from(MARK + stream)]) },
  };
  for (const [name, { bytes }] of Object.entries(cases)) {
    it(`${name}: the same payload and stream under every chunking`, () => {
      let runs = 0;
      for (const ch of sampledChunkings(bytes, 120, 10)) {
        const got = split(bytes, ch.chunks);
        expect(got?.rdb.equals(body), ch.name).toBe(true);
        expect(got?.rest.toString(), ch.name).toBe(stream);
        runs++;
      }
      expect(runs).toBeGreaterThan(100);
    });
  }

  it.skipIf(!hasCorpus)('recorded disk-based session: exactly the $<len> bytes, the stream right after', () => {
    const bytes = m2r('r70-disk-auth');
    const at = bytes.indexOf('$316\r\n') + 6;
    const got = split(bytes)!;
    expect(got.rdb.equals(bytes.subarray(at, at + 316))).toBe(true);
    expect(got.rest.equals(bytes.subarray(at + 316))).toBe(true);
    expect(got.rdb.subarray(0, 5).toString()).toBe('REDIS');
  });

  it.skipIf(!hasCorpus)('recorded diskless session: the payload between the marks, the stream after the second mark', () => {
    const bytes = m2r('r70-diskless');
    const markAt = bytes.indexOf('$EOF:') + 5;
    const mark = bytes.subarray(markAt, markAt + 40);
    const start = markAt + 42;
    const end = bytes.indexOf(mark, start);
    const got = split(bytes)!;
    expect(got.rdb.equals(bytes.subarray(start, end))).toBe(true);
    expect(got.rest.equals(bytes.subarray(end + 40))).toBe(true);
  });

  it('no snapshot (partial resync): nothing found', () => {
    expect(split(Buffer.from('+CONTINUE abc\r\n*1\r\n$4\r\nping\r\n'))).toBeNull();
  });
});

describe('extractFullSync streams the snapshot from the capture file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-full-sync-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const RECORDED_CHUNK = 16 * 1024;

  /** A capture of one link: a full sync of `rdb` at offset 1000, then `stream`, recorded in 16 KiB chunks. */
  function writeCapture(rdb: Buffer, stream: string): string {
    const at = 1_700_000_000_000;
    const m2r = Buffer.concat([Buffer.from(`+FULLRESYNC ${REPLID} 1000\r\n$${rdb.length}\r\n`), rdb, Buffer.from(stream)]);
    const events: WireEvent[] = [
      { kind: 'open', link: 1, at, replica: '127.0.0.1:40000', master: '127.0.0.1:6379' },
      { kind: 'bytes', link: 1, at, from: 'replica', chunk: Buffer.from(command('PSYNC', '?', '-1')) },
    ];
    for (let p = 0; p < m2r.length; p += RECORDED_CHUNK) events.push({ kind: 'bytes', link: 1, at, from: 'master', chunk: m2r.subarray(p, p + RECORDED_CHUNK) });
    events.push({ kind: 'close', link: 1, at, by: 'proxy', reason: 'end' });
    const header = encodeHeader({ startedAt: at, upstream: '127.0.0.1:6379', tool: { name: 'repl-spy', version: 'test' }, options: { captureRdb: 'full', captureSecrets: false } });
    const file = path.join(dir, 'sync.rspy');
    writeFileSync(file, Buffer.concat([header, ...events.map((e) => encodeRecord(e)), encodeRecord({ kind: 'end', at })]));
    return file;
  }

  it('gives sizes and offsets, then the exact bytes in pieces no larger than those recorded; a cut command is left out', async () => {
    const rdb = Buffer.alloc(3 << 20, 7); // not an RDB the decoders read: replay --to sends it as it is
    const commands = command('SELECT', '0') + command('SET', 'k', 'v'.repeat(40_000));
    const file = writeCapture(rdb, `${commands}*3\r\n$3\r\nSET`);
    const { sync, problems } = await extractFullSync(await openCapture(file));
    expect(problems).toEqual([]);
    expect(sync).toMatchObject({ link: 1, replid: REPLID, offset: 1000, rdbBytes: rdb.length, streamBytes: commands.length, finalOffset: 1000 + commands.length });
    const parts = { rdb: [] as Buffer[], stream: [] as Buffer[] };
    for await (const { part, chunk } of sync!.chunks()) parts[part].push(chunk);
    expect(Buffer.concat(parts.rdb).equals(rdb)).toBe(true);
    expect(Buffer.concat(parts.stream).toString()).toBe(commands);
    expect(Math.max(...[...parts.rdb, ...parts.stream].map((c) => c.length))).toBeLessThanOrEqual(RECORDED_CHUNK);
  });
});
