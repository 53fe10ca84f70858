// The report's bounded parts: series in fixed buckets, counts of an unbounded set of names, cluster slots.
import { describe, expect, it } from 'vitest';
import { keySlot } from '../../../src/core/key-slot.js';
import { TimeBuckets } from '../../../src/report/time-buckets.js';
import { TopCounter } from '../../../src/report/top-counter.js';

describe('time buckets', () => {
  it('keep their number whatever the time span: past the last bucket they double in width and merge', () => {
    const sums = new TimeBuckets('sum', 8, 1000);
    const maxes = new TimeBuckets('max', 8, 1000);
    for (let s = 0; s < 100; s++) {
      sums.add('x', 1_000_000 + s * 1000, 1);
      maxes.add('x', 1_000_000 + s * 1000, s);
    }
    const sum = sums.view('x')!;
    expect(sum.widthMs).toBe(16_000);
    expect(sum.values.length).toBeLessThanOrEqual(8);
    expect(sum.values.reduce((a, b) => a + b, 0)).toBe(100); // nothing lost in the merges
    expect(sum.values.slice(0, 6)).toEqual([16, 16, 16, 16, 16, 16]);
    expect(maxes.view('x')!.values.at(-1)).toBe(99);
    expect(maxes.view('x')!.values[0]).toBe(15);
  });

  it('an empty bucket is NaN, not 0; a series past the cap is refused', () => {
    const b = new TimeBuckets('max', 8, 1000, 2);
    b.add('a', 0, 5);
    b.add('a', 3000, 7);
    expect(b.view('a')!.values).toEqual([5, NaN, NaN, 7]);
    expect(b.add('b', 0, 1)).toBe(true);
    expect(b.add('c', 0, 1)).toBe(false);
    expect(b.names()).toEqual(['a', 'b']);
  });
});

describe('top counter', () => {
  it('counts exactly while the names fit', () => {
    const c = new TopCounter(16);
    for (const name of ['a', 'b', 'a', 'c', 'a', 'b']) c.add(name);
    expect(c.top(2)).toEqual([
      { name: 'a', count: 3, error: 0 },
      { name: 'b', count: 2, error: 0 },
    ]);
    expect(c.approximate).toBe(false);
  });

  it('beyond its capacity it keeps the frequent names, and every true count lies within count .. count + error', () => {
    const c = new TopCounter(64);
    const truth = new Map<string, number>();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 50_000; i++) {
      // three heavy names among thousands of rare ones
      const r = random();
      const name = r < 0.2 ? 'user:' : r < 0.3 ? 'session:' : r < 0.35 ? 'cart:' : `rare${Math.floor(random() * 5000)}:`;
      c.add(name);
      truth.set(name, (truth.get(name) ?? 0) + 1);
    }
    expect(c.approximate).toBe(true);
    const top = c.top(3);
    expect(top.map((t) => t.name)).toEqual(['user:', 'session:', 'cart:']);
    for (const t of c.top(64)) {
      expect(truth.get(t.name)!).toBeGreaterThanOrEqual(t.count);
      expect(truth.get(t.name)!).toBeLessThanOrEqual(t.count + t.error);
    }
  });
});

describe('cluster key slot', () => {
  it('is the slot redis-server 7.0 gives (CLUSTER KEYSLOT), hash tags included', () => {
    const slots = Object.fromEntries(['foo', 'bar', 'hello', '{user1000}.following', 'user1000', 'a{}b', '{}x', 'x{y}z{w}'].map((k) => [k, keySlot(Buffer.from(k))]));
    expect(slots).toEqual({ foo: 12182, bar: 5061, hello: 866, '{user1000}.following': 3443, user1000: 3443, 'a{}b': 13694, '{}x': 10595, 'x{y}z{w}': 12222 });
  });

  it('long keys (searched natively) find their hash tag as short ones do', () => {
    expect(keySlot(Buffer.from('x'.repeat(70) + '{user1000}'))).toBe(3443);
    expect(keySlot(Buffer.from('{' + 'user1000'.repeat(10) + '}' + 'y'.repeat(70)))).toBe(keySlot(Buffer.from('user1000'.repeat(10))));
    expect(keySlot(Buffer.from('{}' + 'z'.repeat(100)))).not.toBe(keySlot(Buffer.from('z'.repeat(100))));
  });
});
