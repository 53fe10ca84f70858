// A long scrollable text made of segments whose lines are built only when they are on screen.

export interface Segment {
  count: number;
  line(i: number): string;
}

export function fixed(lines: string[]): Segment {
  return { count: lines.length, line: (i) => lines[i] };
}

export function totalLines(segments: Segment[]): number {
  return segments.reduce((n, s) => n + s.count, 0);
}

/** Lines [from, from + n) of the concatenated segments. */
export function sliceLines(segments: Segment[], from: number, n: number): string[] {
  const out: string[] = [];
  let base = 0;
  for (const seg of segments) {
    for (let i = Math.max(0, from - base); i < seg.count && out.length < n; i++) out.push(seg.line(i));
    base += seg.count;
    if (out.length >= n) break;
  }
  return out;
}
