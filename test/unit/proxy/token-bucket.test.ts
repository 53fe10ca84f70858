import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/proxy/token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, then lets bytes through at the configured rate', () => {
    const bucket = new TokenBucket(10_000, 0); // capacity: 50 ms worth = 500 bytes
    expect(bucket.capacity).toBe(500);
    expect(bucket.take(0, 2000)).toBe(500);
    expect(bucket.take(0, 2000)).toBe(0);
    expect(bucket.waitMs(0, 2000)).toBe(50); // a full bucket's worth
    expect(bucket.take(10, 2000)).toBe(100); // 10 ms at 10 000 B/s
  });

  it('never holds more than its capacity after a long idle time', () => {
    const bucket = new TokenBucket(10_000, 0);
    bucket.take(0, 500);
    expect(bucket.take(60_000, 1e9)).toBe(500);
  });

  it('passes exactly rate × time bytes over a long run, whatever the request sizes', () => {
    const bucket = new TokenBucket(1000, 0);
    let passed = bucket.take(0, 1e9); // the initial burst
    for (let t = 1; t <= 5000; t++) passed += bucket.take(t, 7);
    expect(passed).toBe(64 + 5000); // burst of 64 bytes (the minimum) + 5 s at 1000 B/s
  });

  it('waits nothing when enough tokens are there', () => {
    const bucket = new TokenBucket(1000, 0);
    expect(bucket.waitMs(0, 10)).toBe(0);
  });
});
