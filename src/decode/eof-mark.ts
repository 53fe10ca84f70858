// Finds the 40-byte EOF mark that ends a diskless RDB payload (`$EOF:<mark>` ... <mark>), also when the mark is
// split across chunks. Only the last 39 bytes of earlier chunks are kept for the seam, never whole chunks.

export const EOF_MARK_BYTES = 40;

export class EofMarkFinder {
  private tail = Buffer.alloc(0); // last < 40 bytes seen, for a mark that straddles chunks

  constructor(readonly mark: Buffer) {}

  /**
   * Look for the mark in chunk[start, end). Returns the index in `chunk` just after the mark, or -1.
   * When the mark started in an earlier chunk the returned index is < 40 (the mark's end in this chunk).
   */
  find(chunk: Buffer, start: number, end: number): number {
    const n = EOF_MARK_BYTES;
    if (this.tail.length > 0) {
      const head = chunk.subarray(start, Math.min(end, start + n - 1));
      const seam = Buffer.concat([this.tail, head]);
      const at = seam.indexOf(this.mark);
      if (at !== -1) return start + (at + n - this.tail.length);
    }
    const at = chunk.subarray(start, end).indexOf(this.mark);
    if (at !== -1) return start + at + n;
    const keep = Math.min(n - 1, end - start);
    const fresh = chunk.subarray(end - keep, end);
    this.tail = keep === n - 1 ? Buffer.from(fresh) : Buffer.concat([this.tail, fresh]).subarray(-(n - 1));
    return -1;
  }
}
