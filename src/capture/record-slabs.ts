// The capture's own copies of the records it queues. A queued chunk is a view of a socket's read buffer: waiting
// for the disk it outlives a few young-generation collections, is promoted, and is then freed only by a full
// collection, which V8 starts late for memory outside its heap: during a fast full sync, 40-60 MB of read buffers
// nobody needs any more. Copied into a few reused slabs, the read buffers die young, and the capture holds about
// its queue bound. A copy costs ~0.1 ms per MB.

export const SLAB_BYTES = 1024 * 1024;
/** Records larger than this are kept as they are (a slab holds at least four). */
const LARGEST_COPIED = SLAB_BYTES / 4;

export interface Slab {
  buf: Buffer;
  used: number;
  /** records in it not yet written */
  refs: number;
}

export class RecordSlabs {
  private current: Slab | null = null;
  private readonly free: Slab[] = [];

  /** @param maxFree slabs kept for reuse once written (the queue bound / SLAB_BYTES is plenty) */
  constructor(private readonly maxFree = 8) {}

  /** The record's parts in one buffer of a slab (release the slab once written), or as they are when large. */
  copy(parts: Buffer[], size: number): { parts: Buffer[]; slab: Slab | null } {
    if (size > LARGEST_COPIED) return { parts, slab: null };
    let slab = this.current;
    if (!slab || slab.used + size > SLAB_BYTES) {
      if (slab) this.retire(slab);
      slab = this.free.pop() ?? { buf: Buffer.allocUnsafeSlow(SLAB_BYTES), used: 0, refs: 0 };
      this.current = slab;
    }
    const start = slab.used;
    for (const part of parts) slab.used += part.copy(slab.buf, slab.used);
    slab.refs++;
    return { parts: [slab.buf.subarray(start, slab.used)], slab };
  }

  /** One record of the slab was written. A record never written (dropped) never releases: its slab is left to
   *  the collector, never reused while anything may still read it. */
  release(slab: Slab): void {
    slab.refs--;
    if (slab !== this.current && slab.refs === 0) this.recycle(slab);
  }

  private retire(slab: Slab): void {
    this.current = null;
    if (slab.refs === 0) this.recycle(slab);
  }

  private recycle(slab: Slab): void {
    slab.used = 0;
    if (this.free.length < this.maxFree) this.free.push(slab);
  }
}
