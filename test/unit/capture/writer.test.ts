import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writev as fsWritev } from 'node:fs';
import { waitFor } from '../../helpers/redis.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { From, WireEvent } from '../../../src/core/events.js';
import { CaptureError } from '../../../src/capture/errors.js';
import { openCapture, type Capture } from '../../../src/capture/reader.js';
import { openCaptureWriter, type CaptureLoss, type CaptureWriterOptions } from '../../../src/capture/writer.js';
import { corpusPath, requireCorpus } from '../../helpers/corpus.js';
import { corpusEvents } from './corpus-events.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'repl-spy-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const open = (opts: Partial<CaptureWriterOptions> = {}) =>
  openCaptureWriter({ path: path.join(tmp, `${n++}.rspy`), upstream: '127.0.0.1:6379', captureRdb: 'full', captureSecrets: false, ...opts });
const tick = () => new Promise((r) => setTimeout(r, 20));

async function readAll(file: string): Promise<{ capture: Capture; events: WireEvent[]; error?: CaptureError }> {
  const capture = await openCapture(file);
  const events: WireEvent[] = [];
  try {
    for await (const e of capture.events()) events.push(e);
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    return { capture, events, error: err };
  }
  return { capture, events };
}

/** Follows one link direction through bytes and gaps: the gaps must sit exactly at their recorded position. */
function direction(capture: Capture, events: WireEvent[], link: number, from: From) {
  let pos = 0;
  const bytes: Buffer[] = [];
  const gaps: Array<{ pos: number; bytes: number; reason: string; sha256?: string }> = [];
  for (const e of events) {
    if (!(e.kind === 'bytes' || e.kind === 'gap') || e.link !== link || e.from !== from) continue;
    if (e.kind === 'bytes') {
      bytes.push(e.chunk);
      pos += e.chunk.length;
    } else {
      expect(e.pos).toBe(pos);
      gaps.push({ pos, bytes: e.bytes, reason: e.reason, ...(e.sha256 ? { sha256: e.sha256 } : {}) });
      pos += e.bytes;
    }
  }
  return { kept: Buffer.concat(bytes), gaps, total: pos };
}

const chunkOf = (i: number) => Buffer.alloc(100, i);
const bytesEvent = (i: number): WireEvent => ({ kind: 'bytes', link: 1, at: 1000 + i, from: 'master', chunk: chunkOf(i) });

describe('capture writer: never in the way', () => {
  it('a full queue drops bytes and records one explicit gap at the right position; the caller hears of it', async () => {
    const losses: CaptureLoss[] = [];
    const w = open({ maxQueueBytes: 1000, onGap: (l) => losses.push(l) });
    w.wire({ kind: 'open', link: 1, at: 999, replica: 'r:1', master: 'm:2' });
    for (let i = 0; i < 40; i++) w.wire(bytesEvent(i)); // synchronously: the disk cannot have kept up
    const dropped = w.stats().droppedBytes;
    expect(dropped).toBeGreaterThan(0);
    await tick(); // the queue drains
    for (let i = 40; i < 45; i++) w.wire(bytesEvent(i));
    await w.close();

    const { capture, events, error } = await readAll(w.path);
    expect(error).toBeUndefined();
    const d = direction(capture, events, 1, 'master');
    expect(d.total).toBe(45 * 100);
    expect(d.gaps).toEqual([{ pos: d.gaps[0]!.pos, bytes: dropped, reason: 'capture-overflow' }]);
    // what was kept is exactly the chunks before and after the gap
    const first = d.gaps[0]!.pos / 100;
    const expected = Buffer.concat([...Array(45).keys()].filter((i) => i < first || i >= first + dropped / 100).map(chunkOf));
    expect(d.kept.equals(expected)).toBe(true);
    expect(losses.map((l) => [l.state, l.pos, l.reason])).toEqual([
      ['started', first * 100, 'capture-overflow'],
      ['ended', first * 100, 'capture-overflow'],
    ]);
    expect(losses[1]!.bytes).toBe(dropped);
  });

  it('a failing disk: no torn record, the loss is recorded as a gap once the disk works again, capturing resumes', async () => {
    const losses: CaptureLoss[] = [];
    let full = false;
    let space = 150; // once full: room for a record (122 bytes) and a half
    let calls = 0;
    // a disk that fills up in the middle of a batch: a short write, then ENOSPC until space returns
    const writev: CaptureWriterOptions['writev'] = (fd, buffers, position, cb) => {
      calls++;
      if (!full) return fsWritev(fd, buffers, position, cb);
      if (space === 0) return setImmediate(() => cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }), 0));
      const part = Buffer.concat(buffers).subarray(0, space);
      space -= part.length;
      fsWritev(fd, [part], position, cb);
    };
    const w = open({ writev, onGap: (l) => losses.push(l) });
    w.wire({ kind: 'open', link: 1, at: 999, replica: 'r:1', master: 'm:2' });
    await tick();
    full = true;
    for (let i = 0; i < 5; i++) w.wire(bytesEvent(i)); // queued together: the disk fills up in this batch
    await tick();
    for (let i = 5; i < 8; i++) w.wire(bytesEvent(i)); // dropped while the disk is full
    w.wire({ kind: 'bytes', link: 1, at: 1010, from: 'replica', chunk: Buffer.from('*1\r\n$4\r\nPING\r\n') });
    expect(w.stats().error?.message).toMatch(/ENOSPC/);
    full = false; // space again: the next retry writes the gaps, then capturing goes on
    await waitFor(() => w.stats().error === null, 5_000, 'writing to work again');
    for (let i = 8; i < 10; i++) w.wire(bytesEvent(i));
    await w.close();
    expect(calls).toBeGreaterThan(2);

    const { capture, events, error } = await readAll(w.path);
    expect(error).toBeUndefined(); // whole records only, and the end record
    expect(capture.endAt).not.toBeNull();
    const d = direction(capture, events, 1, 'master');
    expect(d.total).toBe(1000);
    // the first record of the batch made it before the disk filled up; the rest up to the retry is one gap
    expect(d.gaps).toEqual([{ pos: 100, bytes: 700, reason: 'disk-error: ENOSPC: no space left on device, write' }]);
    expect(d.kept.equals(Buffer.concat([chunkOf(0), chunkOf(8), chunkOf(9)]))).toBe(true);
    const gap = events.find((e) => e.kind === 'gap' && e.from === 'master')!;
    expect(gap.at).toBe(1001);
    expect(gap).toMatchObject({ pos: 100, untilAt: 1007 });
    expect(direction(capture, events, 1, 'replica').gaps).toEqual([{ pos: 0, bytes: 14, reason: 'disk-error: ENOSPC: no space left on device, write' }]);
    expect(losses.filter((l) => l.from === 'master').map((l) => [l.state, l.pos, l.bytes])).toEqual([
      ['started', 100, 100],
      ['ended', 100, 700],
    ]);
    expect(losses.map((l) => l.state).sort()).toEqual(['ended', 'ended', 'started', 'started']);
  });

  it('the unwritten tail is bounded (8 MiB by default): bytes beyond it wait for no disk', async () => {
    const w = open();
    const chunk = Buffer.alloc(64 * 1024, 1);
    let most = 0;
    for (let i = 0; i < 1024; i++) {
      // 64 MiB in one turn: no write can have completed, so everything kept is still queued
      w.wire({ kind: 'bytes', link: 1, at: i, from: 'master', chunk });
      most = Math.max(most, w.stats().queuedBytes);
    }
    expect(most).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(most).toBeGreaterThan(7 * 1024 * 1024);
    expect(w.stats().droppedBytes).toBeGreaterThan(50 * 1024 * 1024);
    await w.close();
  });

  it('a listener that throws changes nothing', async () => {
    const w = open({ maxQueueBytes: 200, onGap: () => { throw new Error('boom'); } });
    for (let i = 0; i < 10; i++) w.wire(bytesEvent(i));
    await w.close();
    const { capture, events, error } = await readAll(w.path);
    expect(error).toBeUndefined();
    expect(direction(capture, events, 1, 'master').total).toBe(1000);
  });
});

describe.skipIf(!requireCorpus('wire', 'the capture writer on recorded sessions'))('capture writer: real sessions', () => {
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const corpus = (session: string, file: string) => readFileSync(corpusPath('wire', session, file));

  it('full capture: every byte and time as recorded, the AUTH password masked, its length not kept', async () => {
    const input = corpusEvents('r70-disk-auth');
    const w = open();
    for (const e of input) w.wire(e);
    await w.close();
    const { capture, events, error } = await readAll(w.path);
    expect(error).toBeUndefined();
    expect(events.map((e) => [e.kind, e.at])).toEqual(input.map((e) => [e.kind, e.at]));
    expect(direction(capture, events, 1, 'master').kept.equals(corpus('r70-disk-auth', 'conn1.m2r.bin'))).toBe(true);
    const sent = corpus('r70-disk-auth', 'conn1.r2m.bin');
    // neither the password nor its length is kept
    const masked = Buffer.from(sent.toString('latin1').replace('$9\r\ns3cret-pw\r\n', '$3\r\n***\r\n'), 'latin1');
    expect(masked.length).toBe(sent.length - 6);
    const replica = direction(capture, events, 1, 'replica').kept;
    expect(replica.equals(masked)).toBe(true);
    expect(readFileSync(w.path).includes('s3cret-pw')).toBe(false);
    // the mask goes on a copy: the forwarded chunks (perhaps still queued in a socket) are untouched
    const forwarded = Buffer.concat(input.flatMap((e) => (e.kind === 'bytes' && e.from === 'replica' ? [e.chunk] : [])));
    expect(forwarded.equals(sent)).toBe(true);
  });

  for (const [session, framing] of [
    ['r70-disk-auth', 'disk-based $<len>'],
    ['r70-diskless', 'diskless $EOF:'],
  ] as const) {
    it(`--capture-rdb none (${framing}): the RDB body becomes a gap with its size and SHA-256, nothing else changes`, async () => {
      const w = open({ captureRdb: 'none', captureSecrets: true });
      for (const e of corpusEvents(session)) w.wire(e);
      await w.close();
      const { capture, events, error } = await readAll(w.path);
      expect(error).toBeUndefined();
      expect(capture.meta.options.captureRdb).toBe('none');
      const m2r = corpus(session, 'conn1.m2r.bin');
      const line = /\$(\d+)\r\n|\$EOF:([0-9a-f]{40})\r\n/.exec(m2r.toString('latin1'))!;
      const bodyStart = line.index + line[0].length;
      const bodyEnd = line[1] ? bodyStart + Number(line[1]) : m2r.indexOf(line[2]!, bodyStart);
      const d = direction(capture, events, 1, 'master');
      expect(d.gaps).toEqual([{ pos: bodyStart, bytes: bodyEnd - bodyStart, reason: 'rdb-elided', sha256: sha256(m2r.subarray(bodyStart, bodyEnd)) }]);
      expect(d.kept.equals(Buffer.concat([m2r.subarray(0, bodyStart), m2r.subarray(bodyEnd)]))).toBe(true);
      expect(direction(capture, events, 1, 'replica').kept.equals(corpus(session, 'conn1.r2m.bin'))).toBe(true);
    });
  }
});
