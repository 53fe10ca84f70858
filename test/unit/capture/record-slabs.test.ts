// The capture's slabs: a record's copy never changes until it is released, whatever the order of releases, and
// written slabs are reused (the point: a bounded set of buffers instead of promoted socket read buffers).
import { describe, expect, it } from 'vitest';
import { RecordSlabs, SLAB_BYTES, type Slab } from '../../../src/capture/record-slabs.js';
import { seededRandom } from '../../../src/core/seeded-random.js';

describe('record slabs', () => {
  it('copies stay intact until released, across slab boundaries and random release orders', () => {
    const random = seededRandom(7);
    const slabs = new RecordSlabs(2);
    const live: { view: Buffer; expected: Buffer; slab: Slab | null }[] = [];
    const seen = new Set<Buffer>();
    const stuck: typeof live = [];
    for (let i = 0; i < 20_000; i++) {
      const size = 1 + Math.floor(random() * (random() < 0.05 ? 300_000 : 3000));
      const parts = [Buffer.alloc(Math.min(size, 7), i % 251), Buffer.alloc(size - Math.min(size, 7), (i * 7) % 253)];
      const { parts: copied, slab } = slabs.copy(parts, size);
      const expected = Buffer.concat(parts);
      const view = Buffer.concat(copied);
      expect(view.equals(expected)).toBe(true);
      if (slab) seen.add(slab.buf);
      live.push({ view: copied.length === 1 ? copied[0]! : view, expected, slab });
      // writes complete in order, about as fast as records arrive; now and then a random one goes (a record
      // written later than its neighbours); a few are never released (dropped by a disk error) and must stay
      while (live.length > 0 && random() < 0.5) {
        const [gone] = live.splice(random() < 0.02 ? Math.floor(random() * live.length) : 0, 1);
        if (random() < 0.01) stuck.push(gone!);
        else if (gone!.slab) slabs.release(gone!.slab);
      }
      if (i % 499 === 0) for (const r of [...live, ...stuck]) expect(r.view.equals(r.expected), `record still queued at step ${i}`).toBe(true);
    }
    for (const r of [...live, ...stuck]) expect(r.view.equals(r.expected)).toBe(true);
    expect(stuck.length).toBeGreaterThan(10);
    // ~30 MB went through: besides the slabs a never-released record pins, only a few were made
    const pinned = new Set(stuck.map((r) => r.slab?.buf)).size;
    expect(seen.size).toBeLessThan(pinned + 10);
  });

  it('a large record is kept as it is, without a slab', () => {
    const big = Buffer.alloc(SLAB_BYTES / 2, 1);
    const { parts, slab } = new RecordSlabs().copy([big], big.length);
    expect(slab).toBeNull();
    expect(parts[0]).toBe(big);
  });
});
