// The lab's fault controls on a link: freeze, delay, bandwidth, cut. Faults hold bytes back but never drop,
// reorder or copy them, and the held amount stays bounded because the sender is paused.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplSpyError } from '../../src/core/errors.js';
import type { From, WireLinkEvent } from '../../src/core/events.js';
import { wireNow } from '../../src/core/clock.js';
import { receiveAll, sendAll, sha256, startHarness, type Harness } from '../helpers/tcp-peers.js';

const STAGE_LIMIT = 1024 * 1024; // the pipe's stage high-water mark
const MAX_CHUNK = 64 * 1024; // one socket read

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

/** A wire event as logged by these tests: bytes events keep their size, not their chunk. */
type Logged = Exclude<WireLinkEvent, { kind: 'bytes' }> | { kind: 'bytes'; link: number; at: number; from: From; bytes: number };
type LoggedBytes = Extract<Logged, { kind: 'bytes' }>;
const bytesFrom = (log: Logged[], from: From): LoggedBytes[] =>
  log.filter((e): e is LoggedBytes => e.kind === 'bytes' && e.from === from);

/** A harness that also logs every wire event in order. */
async function loggedHarness(extra?: (e: WireLinkEvent) => void): Promise<{ h: Harness; log: Logged[] }> {
  const log: Logged[] = [];
  const h = await startHarness({
    onWire: (e) => {
      const { kind, link, at } = e;
      log.push(kind === 'bytes' ? { kind, link, at, from: e.from, bytes: e.chunk.length } : e);
      extra?.(e);
    },
  });
  return { h, log };
}

describe('proxy link faults', () => {
  it('freeze: nothing is forwarded either way until it ends, then everything arrives in order', async () => {
    let heldAtThaw = -1;
    const { h, log } = await loggedHarness((e) => {
      if (e.kind === 'fault' && e.fault === 'freeze-end') heldAtThaw = h.proxy.links.get(e.link)!.stats().heldBytes;
    });
    harness = h;
    const { replica, master, link } = await h.connect();
    link.apply({ kind: 'freeze', ms: 300 });
    const down = randomBytes(16 * 1024 * 1024);
    const up = randomBytes(100 * 1024);
    const received = Promise.all([receiveAll(replica), receiveAll(master)]);
    const [downSend] = await Promise.all([sendAll(master, down, { end: true }), sendAll(replica, up, { end: true })]);
    const [atReplica, atMaster] = await received;

    expect(atReplica).toEqual({ sha: sha256(down), bytes: down.length });
    expect(atMaster).toEqual({ sha: sha256(up), bytes: up.length });
    const kinds = log.filter((e) => e.link === link.id).map((e) => (e.kind === 'fault' ? e.fault : e.kind));
    const thaw = kinds.indexOf('freeze-end');
    expect(kinds.slice(0, 2)).toEqual(['open', 'freeze']);
    expect(thaw).toBeGreaterThan(1);
    expect(kinds.slice(2, thaw)).toEqual([]); // no bytes crossed during the freeze
    // The frozen link held at most its stage limit; the sender felt the backpressure.
    expect(heldAtThaw).toBeGreaterThan(0);
    expect(heldAtThaw).toBeLessThanOrEqual(STAGE_LIMIT + MAX_CHUNK + up.length); // down is capped, up fits
    expect(downSend.sawBackpressure).toBe(true);
    expect((await h.closeEvent(link.id)).kind).toBe('close');
  });

  it('delay: each chunk waits at least the delay, order is kept; delay 0 goes back to the plain pump', async () => {
    const { h, log } = await loggedHarness();
    harness = h;
    const { replica, master, link } = await h.connect();
    link.apply({ kind: 'delay', ms: 80 });
    const atMaster = receiveAll(master);
    const pieces: Buffer[] = [];
    const sentAt: number[] = [];
    for (let i = 0; i < 20; i++) {
      pieces.push(randomBytes(1000 + i));
      sentAt.push(wireNow());
      replica.write(pieces[i]!);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 150));
    link.apply({ kind: 'delay', ms: 0 });
    const tail = randomBytes(5000);
    replica.end(tail);
    expect((await atMaster).sha).toBe(sha256(Buffer.concat([...pieces, tail])));

    const firstForwarded = bytesFrom(log, 'replica')[0]!;
    expect(firstForwarded.at - sentAt[0]!).toBeGreaterThanOrEqual(80);
    expect(link.stats().heldBytes).toBe(0);
    const faults = log.filter((e) => e.kind === 'fault').map((e) => (e.kind === 'fault' ? e.detail : null));
    expect(faults).toEqual([{ ms: 80 }, { ms: 0 }]);
    master.end();
    await h.closeEvent(link.id);
  });

  it('bandwidth: master→replica is paced by the token bucket and the master socket is paused', async () => {
    const rate = 4 * 1024 * 1024;
    const capacity = Math.floor(rate / 20);
    let maxBacklog = 0;
    let samples = 0;
    const { h, log } = await loggedHarness((e) => {
      const link = h.proxy.links.get(e.link);
      if (!link || e.kind !== 'bytes') return;
      const s = link.stats();
      maxBacklog = Math.max(maxBacklog, s.master.bytesRead - s.replica.bytesWritten);
      samples++;
    });
    harness = h;
    const { replica, master, link } = await h.connect();
    link.apply({ kind: 'bandwidth', bytesPerSec: rate });
    const down = randomBytes(6 * 1024 * 1024);
    const atReplica = receiveAll(replica);
    const send = await sendAll(master, down, { end: true });
    expect(await atReplica).toEqual({ sha: sha256(down), bytes: down.length });

    const chunks = bytesFrom(log, 'master');
    expect(chunks.every((e) => e.bytes <= capacity)).toBe(true);
    // The limiter's own time stamps: after the initial burst, bytes flow no faster than the rate.
    const spanMs = chunks.at(-1)!.at - chunks[0]!.at;
    expect(spanMs).toBeGreaterThanOrEqual(((down.length - 2 * capacity) / rate) * 1000);
    expect(send.sawBackpressure).toBe(true);
    expect(samples).toBeGreaterThan(10); // the bound below was sampled, not left at its initial 0
    expect(maxBacklog).toBeLessThanOrEqual(STAGE_LIMIT + 2 * MAX_CHUNK);
    replica.end();
    await h.closeEvent(link.id);
  });

  it('slice: both ways, every tapped write is a piece of at most the limit; the bytes arrive whole and in order', async () => {
    const { h, log } = await loggedHarness();
    harness = h;
    const { replica, master, link } = await h.connect();
    link.apply({ kind: 'slice', maxBytes: 100, seed: 42 });
    const down = randomBytes(2 * 1024 * 1024);
    const up = randomBytes(50 * 1024);
    const received = Promise.all([receiveAll(replica), receiveAll(master)]);
    await Promise.all([sendAll(master, down, { end: true }), sendAll(replica, up, { end: true })]);
    const [atReplica, atMaster] = await received;
    expect(atReplica).toEqual({ sha: sha256(down), bytes: down.length });
    expect(atMaster).toEqual({ sha: sha256(up), bytes: up.length });
    expect(h.tapped(link.id, 'master').hash.digest('hex')).toBe(sha256(down));
    for (const from of ['master', 'replica'] as const) {
      const pieces = bytesFrom(log, from);
      expect(pieces.every((e) => e.bytes >= 1 && e.bytes <= 100)).toBe(true);
      expect(pieces.length).toBeGreaterThan(from === 'master' ? down.length / 100 : up.length / 100);
    }
    expect(log.filter((e) => e.kind === 'fault')).toMatchObject([{ fault: 'slice', detail: { maxBytes: 100 } }]);
    await h.closeEvent(link.id);
  });

  it('cut: both sides are closed at once and the close event says the lab did it', async () => {
    const { h, log } = await loggedHarness();
    harness = h;
    const { replica, master, link } = await h.connect();
    const replicaEnded = receiveAll(replica);
    const masterEnded = receiveAll(master);
    link.apply({ kind: 'cut' }, 'partition test');
    await Promise.all([replicaEnded, masterEnded]);
    expect(await h.closeEvent(link.id)).toMatchObject({ by: 'proxy', reason: 'cut: partition test' });
    expect(log.filter((e) => e.kind === 'fault')).toMatchObject([{ fault: 'cut', detail: { reason: 'partition test' } }]);
    expect(h.proxy.links.size).toBe(0);
  });

  it('rejects nonsense fault values with RSPY_BAD_ARGS', async () => {
    harness = await startHarness();
    const { replica, link } = await harness.connect();
    for (const bad of [() => link.apply({ kind: 'freeze', ms: -1 }), () => link.apply({ kind: 'delay', ms: Number.NaN }), () => link.apply({ kind: 'bandwidth', bytesPerSec: 0 }), () => link.apply({ kind: 'slice', maxBytes: 0 })]) {
      expect(bad).toThrow(ReplSpyError);
      expect(bad).toThrow(/not a valid value/);
    }
    replica.destroy();
  });
});
