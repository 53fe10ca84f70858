// Progress bars and sparklines from block characters (single-width in every terminal font).

const SPARK = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A bar of `width` cells filled to `fraction` (0..1), e.g. "█████░░░░░". */
export function progressBar(fraction: number, width: number): string {
  if (width <= 0) return '';
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/**
 * A sparkline of exactly `width` cells over `values` (oldest first). When there are more values than cells,
 * neighbouring values are summed into one cell; when fewer, the line is left-padded with blanks so that the
 * newest value is always the rightmost cell. Zero is a blank, any non-zero value shows at least the lowest block.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const per = Math.max(1, Math.ceil(values.length / width));
  const cells: number[] = [];
  // Group from the newest end so that the last cell always holds the newest values.
  for (let end = values.length; end > 0 && cells.length < width; end -= per) {
    let sum = 0;
    for (let i = Math.max(0, end - per); i < end; i++) sum += values[i];
    cells.push(sum);
  }
  cells.reverse();
  const max = Math.max(0, ...cells);
  const line = cells.map((v) => (v <= 0 || max === 0 ? ' ' : SPARK[Math.min(7, Math.floor((v / max) * 7.999))]));
  return line.join('').padStart(width);
}

/**
 * One row of a waterfall: a bar placed at [start, end) within [0, total] on `width` cells, at least one
 * cell wide so that short phases stay visible.
 */
export function waterfallBar(start: number, end: number, total: number, width: number): string {
  if (width <= 0) return '';
  if (total <= 0) return '█'.padEnd(width);
  const from = Math.min(width - 1, Math.max(0, Math.floor((start / total) * width)));
  const to = Math.min(width, Math.max(from + 1, Math.round((end / total) * width)));
  return ' '.repeat(from) + '█'.repeat(to - from) + ' '.repeat(width - to);
}
