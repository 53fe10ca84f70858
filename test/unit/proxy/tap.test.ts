// The tap between forwarding and the observers: appending runs no observer; each observer gets every event in
// order, or in place of bytes it could not take in time a gap of exactly their size; one that is slow or broken
// costs nobody else anything.
import { describe, expect, it } from 'vitest';
import type { From, WireEvent } from '../../../src/core/events.js';
import { createWireTap, TAP_OVERFLOW, TAP_UNOBSERVED, type TapObserver } from '../../../src/proxy/tap.js';

const bytes = (link: number, from: From, size: number, fill = 0x61): WireEvent => ({ kind: 'bytes', link, at: 1, from, chunk: Buffer.alloc(size, fill) });
const open = (link: number): WireEvent => ({ kind: 'open', link, at: 1, replica: 'r', master: 'm' });
const close = (link: number): WireEvent => ({ kind: 'close', link, at: 2, by: 'master', reason: 'x' });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const settled = async (): Promise<void> => {
  for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 2));
};

/** What an observer saw: bytes as their size, gaps as "gap:<size>:<reason>", the rest by kind. */
function recorder(name: string, opts: { workMs?: number; wanted?: () => boolean } = {}): TapObserver & { seen: string[] } {
  const seen: string[] = [];
  return {
    name,
    seen,
    wanted: opts.wanted,
    wire(e) {
      if (opts.workMs) for (const until = performance.now() + opts.workMs; performance.now() < until; );
      seen.push(e.kind === 'bytes' ? `${e.from}:${e.chunk.length}` : e.kind === 'gap' ? `gap:${e.from}:${e.bytes}:${e.reason}` : e.kind);
    },
  };
}

/** Bytes and gap sizes per direction add up to what was appended. */
function accounted(seen: string[], from: From): number {
  return seen.reduce((sum, s) => {
    const bytesMatch = new RegExp(`^${from}:(\\d+)$`).exec(s);
    const gapMatch = new RegExp(`^gap:${from}:(\\d+):`).exec(s);
    return sum + Number(bytesMatch?.[1] ?? gapMatch?.[1] ?? 0);
  }, 0);
}

describe('wire tap', () => {
  it('append only queues: the observers run on a later turn, with every event in order', async () => {
    const a = recorder('a');
    const b = recorder('b');
    const tap = createWireTap({ observers: [a, b] });
    const events = [open(1), bytes(1, 'replica', 10), bytes(1, 'master', 20), { kind: 'tick', at: 3 } as WireEvent, close(1)];
    for (const e of events) tap.append(e);
    expect(a.seen).toEqual([]);
    await settled();
    const expected = ['open', 'replica:10', 'master:20', 'tick', 'close'];
    expect(a.seen).toEqual(expected);
    expect(b.seen).toEqual(expected);
  });

  it('a slow observer loses bytes as a gap of their exact size in their place; a fast one loses nothing', async () => {
    const slow = recorder('slow', { workMs: 3 });
    const fast = recorder('fast');
    const tap = createWireTap({ observers: [slow, fast], maxQueuedBytes: 50_000 });
    tap.append(open(1));
    let appended = 0;
    for (let i = 0; i < 200; i++) {
      tap.append(bytes(1, 'master', 1000));
      appended += 1000;
      if (i % 5 === 4) await turn(); // the sockets' turns: the observers drain in between
    }
    tap.append(bytes(1, 'replica', 7));
    tap.append(close(1));
    await settled();
    for (let i = 0; slow.seen.at(-1) !== 'close' && i < 100; i++) await settled();
    expect(fast.seen.filter((s) => s.startsWith('gap'))).toEqual([]);
    expect(accounted(fast.seen, 'master')).toBe(appended);
    const gaps = slow.seen.filter((s) => s.startsWith('gap'));
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps.every((g) => g.endsWith(`:${TAP_OVERFLOW}`))).toBe(true);
    expect(accounted(slow.seen, 'master')).toBe(appended);
    expect(accounted(slow.seen, 'replica')).toBe(7);
    expect(slow.seen.at(-1)).toBe('close'); // what was lost is given before the link's close
    const stats = tap.stats();
    expect(stats.find((s) => s.name === 'slow')).toMatchObject({ gaps: gaps.length, queuedBytes: 0 });
    expect(stats.find((s) => s.name === 'slow')!.lostBytes).toBe(gaps.reduce((n, g) => n + Number(g.split(':')[2]), 0));
    expect(stats.find((s) => s.name === 'fast')).toMatchObject({ gaps: 0, lostBytes: 0 });
  });

  it('drains in slices: a slow observer lets other work run between its events', async () => {
    const slow = recorder('slow', { workMs: 2 });
    const tap = createWireTap({ observers: [slow], sliceMs: 1 });
    for (let i = 0; i < 20; i++) tap.append(bytes(1, 'master', 10));
    let seenWhenOtherWorkRan = -1;
    setImmediate(() => (seenWhenOtherWorkRan = slow.seen.length));
    await settled();
    expect(slow.seen).toHaveLength(20);
    expect(seenWhenOtherWorkRan).toBeGreaterThan(0);
    expect(seenWhenOtherWorkRan).toBeLessThan(20);
  });

  it('an observer nobody wants skips the bytes: the gap comes once it is wanted again, control events always', async () => {
    let wanted = false;
    const o = recorder('decoders', { wanted: () => wanted });
    const tap = createWireTap({ observers: [o] });
    tap.append(open(1));
    tap.append(bytes(1, 'master', 100));
    tap.append(bytes(1, 'master', 50));
    await settled();
    expect(o.seen).toEqual(['open']);
    wanted = true;
    tap.append(bytes(1, 'master', 5));
    await settled();
    expect(o.seen).toEqual(['open', `gap:master:150:${TAP_UNOBSERVED}`, 'master:5']);
  });

  it('an observer that throws is stopped and reported once; the others go on', async () => {
    const errors: string[] = [];
    const broken: TapObserver = {
      name: 'broken',
      wire: () => {
        throw new Error('boom');
      },
    };
    const ok = recorder('ok');
    const tap = createWireTap({ observers: [broken, ok], onObserverError: (name, err) => errors.push(`${name}: ${(err as Error).message}`) });
    for (let i = 0; i < 5; i++) tap.append(bytes(1, 'replica', 1));
    await settled();
    tap.append(bytes(1, 'replica', 1));
    await settled();
    expect(errors).toEqual(['broken: boom']);
    expect(ok.seen).toHaveLength(6);
    expect(tap.stats().find((s) => s.name === 'broken')).toMatchObject({ failed: true, queuedBytes: 0 });
  });

  it('flush delivers everything queued at once (shutdown)', () => {
    const o = recorder('o');
    const tap = createWireTap({ observers: [o] });
    tap.append(open(2));
    tap.append(bytes(2, 'master', 3));
    tap.flush();
    expect(o.seen).toEqual(['open', 'master:3']);
  });
});
