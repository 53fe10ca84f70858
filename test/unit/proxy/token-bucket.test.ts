import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/proxy/token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, then lets whole pieces through at the configured rate', () => {
    const bucket = new TokenBucket(10_000, 0); // capacity: 50 ms worth = 500 bytes
    expect(bucket.capacity).toBe(500);
    expect(bucket.take(0, 2000)).toBe(500);
    expect(bucket.take(0, 2000)).toBe(0);
    expect(bucket.waitMs(0, 2000)).toBe(50);
    expect(bucket.take(10, 2000)).toBe(0); // 100 bytes of tokens: not a whole piece yet
    expect(bucket.take(10, 80)).toBe(80); // a small remainder passes
    expect(bucket.waitMs(10, 2000)).toBe(48);
    expect(bucket.take(58, 2000)).toBe(500);
  });

  it('never holds more than its capacity after a long idle time', () => {
    const bucket = new TokenBucket(10_000, 0);
    bucket.take(0, 500);
    expect(bucket.take(60_000, 1e9)).toBe(500);
    expect(bucket.take(60_000, 1e9)).toBe(0);
  });

  it('passes rate × time bytes over a long run, whatever the request sizes', () => {
    const bucket = new TokenBucket(1000, 0); // capacity 64 (the minimum)
    let passed = 0;
    for (let t = 0; t <= 5000; t++) passed += bucket.take(t, 7);
    // initial burst of 64 + 5 s at 1000 B/s, less what is still in the bucket (< one 7-byte piece)
    expect(passed).toBeGreaterThan(64 + 5000 - 7);
    expect(passed).toBeLessThanOrEqual(64 + 5000);
  });

  it('waits nothing when enough tokens are there', () => {
    const bucket = new TokenBucket(1000, 0);
    expect(bucket.waitMs(0, 10)).toBe(0);
  });
});
