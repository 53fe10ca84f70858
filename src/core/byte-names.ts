// Short byte strings (command names, key prefixes) to the values kept for them, without making a string per
// command: the bytes are hashed and compared in place, and only a name seen for the first time is copied and
// turned into text. Bounded: past `capacity` names it starts afresh (what the values count lives elsewhere).

/** ASCII upper case of every byte value (a-z to A-Z, the rest as is), and the identity. */
const UPPER = Uint8Array.from({ length: 256 }, (_, b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b));
const SAME = Uint8Array.from({ length: 256 }, (_, b) => b);

interface Entry<T> {
  bytes: Buffer;
  value: T;
}

export class ByteNames<T> {
  private readonly entries = new Map<number, Entry<T>[]>();
  private size = 0;

  /**
   * @param make the value of a name seen for the first time (or again after a fresh start)
   * @param upperCase names compare and read case-insensitively (ASCII), as Redis command names do
   */
  constructor(
    private readonly make: (text: string) => T,
    private readonly upperCase = false,
    private readonly capacity = 4096,
  ) {}

  /** The value of bytes `from`..`to` of `buf`. */
  get(buf: Buffer, from = 0, to = buf.length): T {
    const fold = this.upperCase ? UPPER : SAME;
    let h = to - from;
    for (let i = from; i < to; i++) h = (Math.imul(h, 31) + fold[buf[i]]) | 0;
    const list = this.entries.get(h);
    if (list) {
      for (const e of list) if (this.same(e.bytes, buf, from, to, fold)) return e.value;
    }
    if (this.size >= this.capacity) {
      this.entries.clear();
      this.size = 0;
    }
    const bytes = Buffer.from(buf.subarray(from, to)); // the view is only valid during the event
    const text = bytes.toString('latin1');
    const entry = { bytes, value: this.make(this.upperCase ? text.toUpperCase() : text) };
    const current = this.entries.get(h);
    if (current) current.push(entry);
    else this.entries.set(h, [entry]);
    this.size++;
    return entry.value;
  }

  private same(a: Buffer, buf: Buffer, from: number, to: number, fold: Uint8Array): boolean {
    if (a.length !== to - from) return false;
    for (let i = 0; i < a.length; i++) if (fold[a[i]] !== fold[buf[from + i]]) return false;
    return true;
  }
}
