// A fixed-capacity ring buffer: push is O(1), the oldest item is dropped when full. Items are addressed
// newest-first (`fromNewest(0)` is the latest), which is how every TUI list is read.

export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;
  /** Items ever pushed, including the ones already dropped. */
  total = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new Error(`ring capacity must be positive, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
    this.total++;
  }

  /** The i-th newest item (0 = latest), or undefined past the oldest kept one. */
  fromNewest(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.next - 1 - i + this.capacity * 2) % this.capacity];
  }

  /** A copy, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = this.count - 1; i >= 0; i--) out.push(this.fromNewest(i) as T);
    return out;
  }
}
