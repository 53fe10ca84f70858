import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TICK_MS, type TlsLeg, type WireEvent } from '../../../src/core/events.js';
import { CaptureError } from '../../../src/capture/errors.js';
import { encodeHeader, FORMAT_VERSION, type CaptureMeta } from '../../../src/capture/format.js';
import { openCapture } from '../../../src/capture/reader.js';
import { openCaptureWriter } from '../../../src/capture/writer.js';
import { mulberry32 } from '../../helpers/chunkings.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'repl-spy-capture-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (name = 'c.rspy') => path.join(tmp, `${n++}-${name}`);

const t0 = 1_700_000_000_000.25;
const resp = (...argv: string[]) => Buffer.from(`*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`);
const events: WireEvent[] = [
  { kind: 'open', link: 1, at: t0, replica: '127.0.0.1:50000', master: '127.0.0.1:6379' },
  { kind: 'bytes', link: 1, at: t0 + 1, from: 'replica', chunk: Buffer.concat([resp('PING'), resp('AUTH', 'pw')]) },
  { kind: 'bytes', link: 1, at: t0 + 2.5, from: 'master', chunk: Buffer.from('+PONG\r\n+OK\r\n') },
  { kind: 'tick', at: t0 + 2.75 },
  { kind: 'fault', link: 1, at: t0 + 3, fault: 'freeze', detail: { ms: 100 } },
  { kind: 'server-info', at: t0 + 3.5, server: '127.0.0.1:6379', text: '# Replication\r\nrole:master\r\n' },
  { kind: 'gap', link: 1, at: t0 + 4, from: 'master', bytes: 10, reason: 'capture-overflow', pos: 12 },
  { kind: 'side-event', at: t0 + 4.5, event: { type: 'failover', at: t0 + 4.5, link: 0, step: 'started', detail: 'master killed (SIGKILL)', sinceMs: 0 } },
  {
    kind: 'side-event',
    at: t0 + 4.75,
    event: {
      type: 'cluster-topology', at: t0 + 4.75, link: 0, source: '127.0.0.1:7000', change: 'first sight',
      shards: [{ slots: [[0, 16383]], master: { id: 'a'.repeat(40), address: '127.0.0.1:7000', role: 'master', health: 'online', offset: 14, name: 'master-1' }, replicas: [] }],
    },
  },
  { kind: 'open', link: 2, at: t0 + 5, replica: '127.0.0.1:50001', master: '127.0.0.1:6379' },
  { kind: 'bytes', link: 2, at: t0 + 6, from: 'master', chunk: Buffer.alloc(300, 7) },
  { kind: 'close', link: 1, at: t0 + 7, by: 'master', reason: 'ECONNRESET' },
  { kind: 'close', link: 2, at: t0 + 8, by: 'proxy', reason: 'shutdown' },
];
const masked = events.map((e) =>
  e.kind === 'bytes' && e.link === 1 && e.from === 'replica' ? { ...e, chunk: Buffer.concat([resp('PING'), resp('AUTH', '***')]) } : e,
);

async function write(evs: WireEvent[], opts: Partial<Parameters<typeof openCaptureWriter>[0]> = {}) {
  const w = openCaptureWriter({ path: fresh(), upstream: '127.0.0.1:6379', captureRdb: 'full', captureSecrets: false, startedAt: t0, ...opts });
  for (const e of evs) w.wire(e);
  await w.close(t0 + 9);
  return w;
}

async function readAll(file: string): Promise<{ events: WireEvent[]; error?: CaptureError }> {
  const out: WireEvent[] = [];
  try {
    const capture = await openCapture(file);
    for await (const e of capture.events()) out.push(e);
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    return { events: out, error: err };
  }
  return { events: out };
}

/** A copy of a capture as an older format version wrote it: those layouts are the current one, so only the
 *  version field and the header CRC differ (for captures without the kinds that came later). */
function asVersion(version: number, file: string): string {
  const buf = readFileSync(file);
  buf.writeUInt16BE(version, 8);
  const crcAt = 8 + 2 + 4 + buf.readUInt32BE(10);
  buf.writeUInt32BE(crc32(buf.subarray(0, crcAt)), crcAt);
  const copy = fresh(`v${version}.rspy`);
  writeFileSync(copy, buf);
  return copy;
}

/** Byte offsets where each record starts, and the end of the last one (found by a clean read). */
function recordStarts(file: string): number[] {
  const buf = readFileSync(file);
  const headerLength = 8 + 2 + 4 + buf.readUInt32BE(10) + 4;
  const starts = [headerLength];
  for (let o = headerLength; o < buf.length; ) {
    o += 4 + buf.readUInt32BE(o) + 4;
    starts.push(o);
  }
  return starts;
}

describe('capture writer and reader', () => {
  it('reads back every event, with the AUTH password masked, the metadata, and owner-only permissions', async () => {
    const w = await write(events);
    const capture = await openCapture(w.path);
    expect(capture.formatVersion).toBe(FORMAT_VERSION);
    expect(capture.meta).toMatchObject({ startedAt: t0, upstream: '127.0.0.1:6379', options: { captureRdb: 'full', captureSecrets: false } });
    expect(capture.meta.tool.name).toBe('repl-spy');
    const got: WireEvent[] = [];
    for await (const e of capture.events()) got.push(e);
    expect(got).toEqual(masked);
    expect(capture.endAt).toBe(t0 + 9);
    expect(statSync(w.path).mode & 0o777).toBe(0o600);
    expect(w.stats()).toMatchObject({ droppedBytes: 0, error: null, queuedBytes: 0 });
  });

  it('keeps the password with captureSecrets', async () => {
    const w = await write(events, { captureSecrets: true });
    expect((await readAll(w.path)).events).toEqual(events);
  });

  it('never overwrites an existing file; default name is captures/<start-time>-<upstream>.rspy', async () => {
    const w = await write([]);
    expect(() => openCaptureWriter({ path: w.path, upstream: 'm:1', captureRdb: 'full', captureSecrets: false })).toThrow(/EEXIST/);
    const d = openCaptureWriter({ dir: path.join(tmp, 'captures'), upstream: '127.0.0.1:6379', captureRdb: 'full', captureSecrets: false, startedAt: Date.UTC(2025, 0, 2, 3, 4, 5, 6) });
    await d.close();
    expect(path.relative(tmp, d.path)).toBe(path.join('captures', '2025-01-02T03-04-05.006Z-127.0.0.1_6379.rspy'));
  });

  it('a file cut at any byte: every complete record before the cut, then an error naming the file and offset', async () => {
    const w = await write(events);
    const whole = readFileSync(w.path);
    const starts = recordStarts(w.path);
    for (let cut = 0; cut < whole.length; cut++) {
      const file = fresh('cut.rspy');
      writeFileSync(file, whole.subarray(0, cut));
      const r = await readAll(file);
      expect(r.error, `cut at ${cut}`).toBeInstanceOf(CaptureError);
      expect(r.error!.message).toContain(file);
      if (cut < starts[0]!) {
        expect(r.events).toEqual([]);
        continue;
      }
      const complete = starts.filter((s) => s <= cut).length - 1; // records that end at or before the cut
      expect(r.events, `cut at ${cut}`).toEqual(masked.slice(0, complete));
      expect(r.error!.code).toBe('RSPY_CAPTURE_TRUNCATED');
      expect(r.error!.offset).toBe(starts[complete]);
      expect(r.error!.message).toContain(`byte ${starts[complete]}`);
      expect(r.error!.recordsRead).toBe(complete);
    }
  }, 60_000);

  it('a flipped byte anywhere: the records before the damaged one, then an error at its offset', async () => {
    const w = await write(events);
    const whole = readFileSync(w.path);
    const starts = recordStarts(w.path);
    const rand = mulberry32(7);
    for (let p = 0; p < whole.length; p++) {
      const damaged = Buffer.from(whole);
      damaged[p] = damaged[p]! ^ (1 + Math.floor(rand() * 255));
      const file = fresh('flip.rspy');
      writeFileSync(file, damaged);
      const r = await readAll(file);
      expect(r.error, `flip at ${p}`).toBeInstanceOf(CaptureError);
      if (p < starts[0]!) {
        expect(r.events).toEqual([]);
        continue;
      }
      const record = starts.filter((s) => s <= p).length - 1;
      expect(r.events, `flip at ${p}`).toEqual(masked.slice(0, record));
      expect(r.error!.offset, `flip at ${p}`).toBe(starts[record]);
    }
  }, 60_000);

  it("records a TLS link's facts with its open record (format 2), and reads them back", async () => {
    const leg = (peer: string): TlsLeg => ({
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      peerSubject: `O=lab, CN=${peer}`,
      peerIssuer: 'O=lab, CN=lab CA',
      localSubject: 'O=lab, CN=repl-spy',
      verified: true,
    });
    const tlsEvents: WireEvent[] = [
      { kind: 'open', link: 1, at: t0, replica: '127.0.0.1:50000', master: '127.0.0.1:6379', tls: { replica: leg('replica-1'), master: leg('master') } },
      { kind: 'open', link: 2, at: t0 + 1, replica: '127.0.0.1:50001', master: '127.0.0.1:6379', tls: { master: leg('master') } },
      { kind: 'bytes', link: 2, at: t0 + 2, from: 'master', chunk: Buffer.from('+PONG\r\n') },
    ];
    const w = await write(tlsEvents);
    expect((await openCapture(w.path)).formatVersion).toBe(FORMAT_VERSION);
    expect((await readAll(w.path)).events).toEqual(tlsEvents);
  });

  it('a version 1 capture (written before TLS) still reads, every link plaintext as it was', async () => {
    const before3 = (e: WireEvent) => e.kind !== 'tick' && e.kind !== 'server-info' && e.kind !== 'side-event'; // kinds of versions 3 and 4
    const file = asVersion(1, (await write(events.filter(before3))).path);
    expect((await openCapture(file)).formatVersion).toBe(1);
    const r = await readAll(file);
    expect(r.error).toBeUndefined();
    expect(r.events).toEqual(masked.filter(before3)); // 8 ms of recording: no tick is made up
    for (const e of r.events) if (e.kind === 'open') expect(e.tls).toBeUndefined();
  });

  it('a side event of a type this repl-spy does not know: an error at its record that says to upgrade', async () => {
    const w = await write([events[0]!, { kind: 'side-event', at: t0 + 1, event: { type: 'shard-moved', at: t0 + 1, link: 0 } as never }]);
    const r = await readAll(w.path);
    expect(r.events).toEqual([events[0]]);
    expect(r.error!.code).toBe('RSPY_CAPTURE_FORMAT');
    expect(r.error!.message).toMatch(/side event of unknown type "shard-moved" \(written by a newer repl-spy\? upgrade repl-spy\)/);
    expect(r.error!.offset).toBe(recordStarts(w.path)[1]);
  });

  it('a header of a future format version: a clear error', async () => {
    const file = fresh('future.rspy');
    const header = encodeHeader({ startedAt: 0, upstream: 'm:1', tool: { name: 'repl-spy', version: '9' }, options: { captureRdb: 'full', captureSecrets: false } } satisfies CaptureMeta);
    header.writeUInt16BE(FORMAT_VERSION + 1, 8);
    writeFileSync(file, header);
    const err = (await readAll(file)).error!;
    expect(err.code).toBe('RSPY_CAPTURE_VERSION');
    expect(err.message).toMatch(new RegExp(`${file}: byte 8: capture format version ${FORMAT_VERSION + 1} is newer`));
  });

  it('a tick with no link open is not worth a record', async () => {
    const w = await write([{ kind: 'tick', at: t0 }, events[0]!, { kind: 'tick', at: t0 + 1 }]);
    expect((await readAll(w.path)).events).toEqual([events[0], { kind: 'tick', at: t0 + 1 }]);
  });

  it('a capture of format 1 or 2 (no tick records) reads back with the ticks a live run records, every TICK_MS', async () => {
    const old: WireEvent[] = [
      { kind: 'open', link: 1, at: t0, replica: '127.0.0.1:50000', master: '127.0.0.1:6379' },
      { kind: 'bytes', link: 1, at: t0 + 600, from: 'master', chunk: Buffer.from('+PONG\r\n') },
      { kind: 'close', link: 1, at: t0 + 1000, by: 'proxy', reason: 'shutdown' },
    ];
    const tick = (dt: number): WireEvent => ({ kind: 'tick', at: t0 + dt });
    for (const version of [1, 2]) {
      const file = asVersion(version, (await write(old)).path);
      expect((await openCapture(file)).formatVersion).toBe(version);
      expect((await readAll(file)).events).toEqual([old[0], tick(TICK_MS), tick(2 * TICK_MS), old[1], tick(3 * TICK_MS), tick(4 * TICK_MS), old[2]]);
    }
  });

  it('a file that is not a capture, and an empty file: a clear error', async () => {
    for (const content of ['{"type":"link-open"}\n', '']) {
      const file = fresh('not.rspy');
      writeFileSync(file, content);
      const err = (await readAll(file)).error!;
      expect(err.code).toBe('RSPY_CAPTURE_NOT_A_CAPTURE');
      expect(err.message).toContain(file);
    }
  });
});
