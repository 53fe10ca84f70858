// Series over time in a fixed number of equal buckets: when an event falls past the last bucket, the buckets
// double in width and neighbours merge, so memory and the report's size stay the same for a minute or a week.
// Each bucket holds the sum or the maximum of what fell into it; a bucket nothing fell into is NaN.

export type Merge = 'sum' | 'max';

export interface SeriesView {
  /** start of the first bucket, epoch ms */
  startAt: number;
  widthMs: number;
  /** per bucket (NaN: nothing in it) */
  values: number[];
}

export class TimeBuckets {
  private startAt: number | null = null;
  private widthMs: number;
  private used = 0; // buckets up to the latest event
  private readonly series = new Map<string, Float64Array>();

  constructor(
    private readonly merge: Merge,
    private readonly maxBuckets = 480,
    initialWidthMs = 1000,
    /** more series than this are not kept (add returns false) */
    private readonly maxSeries = 256,
  ) {
    this.widthMs = initialWidthMs;
  }

  /** Adds `value` at `at` to series `name`; false when the series is not kept (too many series). */
  add(name: string, at: number, value: number): boolean {
    if (this.startAt === null) this.startAt = Math.floor(at / this.widthMs) * this.widthMs;
    let values = this.series.get(name);
    if (!values) {
      if (this.series.size >= this.maxSeries) return false;
      values = new Float64Array(this.maxBuckets).fill(NaN);
      this.series.set(name, values);
    }
    let i = Math.max(0, Math.floor((at - this.startAt) / this.widthMs));
    while (i >= this.maxBuckets) {
      this.widen();
      i = Math.floor((at - this.startAt) / this.widthMs);
    }
    this.used = Math.max(this.used, i + 1);
    const old = values[i];
    values[i] = Number.isNaN(old) ? value : this.merge === 'sum' ? old + value : Math.max(old, value);
    return true;
  }

  has(name: string): boolean {
    return this.series.has(name);
  }

  names(): string[] {
    return [...this.series.keys()];
  }

  /** One series up to the latest bucket used by any series; null when it has no value. */
  view(name: string): SeriesView | null {
    const values = this.series.get(name);
    if (!values || this.startAt === null) return null;
    return { startAt: this.startAt, widthMs: this.widthMs, values: Array.from(values.subarray(0, this.used)) };
  }

  /** Time covered by the buckets: their start and the end of the last one used. */
  span(): { startAt: number; endAt: number; widthMs: number } | null {
    return this.startAt === null ? null : { startAt: this.startAt, endAt: this.startAt + this.used * this.widthMs, widthMs: this.widthMs };
  }

  private widen(): void {
    for (const values of this.series.values()) {
      for (let i = 0; i < this.maxBuckets / 2; i++) {
        const a = values[2 * i];
        const b = values[2 * i + 1];
        values[i] = Number.isNaN(a) ? b : Number.isNaN(b) ? a : this.merge === 'sum' ? a + b : Math.max(a, b);
      }
      values.fill(NaN, this.maxBuckets / 2);
    }
    this.widthMs *= 2;
    this.used = Math.ceil(this.used / 2);
  }
}
