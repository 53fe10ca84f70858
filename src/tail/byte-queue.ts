// A queue of bytes kept as the chunks they came in (views, never copied): taken from the front, given back to
// the front, cut at the back. Pure.

export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0; // chunks before head are gone
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Puts `chunks` (in order) back in front. */
  unshift(chunks: Buffer[]): void {
    const live = this.chunks.slice(this.head);
    this.chunks = [...chunks.filter((c) => c.length > 0), ...live];
    this.head = 0;
    for (const c of chunks) this.length += c.length;
  }

  /** Takes the first `n` bytes (fewer if there are fewer) as chunks. */
  shift(n: number): Buffer[] {
    const out: Buffer[] = [];
    while (n > 0 && this.head < this.chunks.length) {
      const c = this.chunks[this.head]!;
      if (c.length <= n) {
        out.push(c);
        this.head++;
        n -= c.length;
        this.length -= c.length;
      } else {
        out.push(c.subarray(0, n));
        this.chunks[this.head] = c.subarray(n);
        this.length -= n;
        n = 0;
      }
    }
    this.compact();
    return out;
  }

  /** Keeps only the first `n` bytes. */
  truncate(n: number): void {
    if (n >= this.length) return;
    const kept = this.shift(n);
    this.chunks = kept;
    this.head = 0;
    this.length = n;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }
}
