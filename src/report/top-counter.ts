// Counts of names from an unbounded set (key prefixes) in bounded memory: past `capacity` names the rarest are
// forgotten, keeping the most counted. A name first counted after such a pruning may have been counted (and
// forgotten) before: its count is a lower bound, short by at most its `error`, the largest count forgotten until
// then (lossy counting, Manku and Motwani).

export interface TopEntry {
  name: string;
  count: number;
  /** the true count is between count and count + error */
  error: number;
}

export class TopCounter {
  private readonly counts = new Map<string, { count: number; error: number }>();
  private forgottenMax = 0;

  constructor(private readonly capacity = 4096) {}

  add(name: string, n = 1): void {
    const c = this.counts.get(name);
    if (c) {
      c.count += n;
      return;
    }
    if (this.counts.size >= this.capacity) this.prune();
    this.counts.set(name, { count: n, error: this.forgottenMax });
  }

  /** The `n` most counted, most first. */
  top(n: number): TopEntry[] {
    return [...this.counts.entries()]
      .map(([name, c]) => ({ name, count: c.count, error: c.error }))
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
      .slice(0, n);
  }

  /** Whether any name was forgotten (the counts are then approximate). */
  get approximate(): boolean {
    return this.forgottenMax > 0;
  }

  /** Forget the less counted three quarters (or more, on ties). */
  private prune(): void {
    const counts = Float64Array.from(this.counts.values(), (c) => c.count).sort();
    const keepAbove = counts[counts.length - Math.floor(this.capacity / 4)];
    for (const [name, c] of this.counts) {
      if (c.count > keepAbove) continue;
      this.forgottenMax = Math.max(this.forgottenMax, c.count + c.error);
      this.counts.delete(name);
    }
  }
}
