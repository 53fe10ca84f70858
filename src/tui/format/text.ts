// Width-aware text helpers. Every string the TUI shows is ASCII or single-width block characters, so the
// width of a string is its length (command arguments are escaped to ASCII when they enter the model).

/** Cut `s` to `width` columns, marking the cut with an ellipsis. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s;
  return width === 1 ? '…' : s.slice(0, width - 1) + '…';
}

/** Exactly `width` columns: truncated or padded on the right. */
export function fit(s: string, width: number): string {
  return truncate(s, width).padEnd(width);
}

/** Exactly `width` columns, right-aligned. */
export function fitRight(s: string, width: number): string {
  return truncate(s, width).padStart(width);
}

/** Left part and right part on one line of `width` columns; the left part gives way. */
export function spread(left: string, right: string, width: number): string {
  if (right.length >= width) return truncate(right, width);
  return fit(left, width - right.length - 1) + ' ' + right;
}

/** Shorten a replid or similar identifier to its first characters. */
export function shortId(id: string | null | undefined, chars = 8): string {
  if (!id) return '-';
  return id.length <= chars ? id : id.slice(0, chars) + '…';
}

/** `s` cut at spaces into lines of `width` columns at most (a word longer than a line is truncated);
 *  lines after the first start with `indent`. At most `maxLines`, the last one marked when cut. */
export function wrap(s: string, width: number, indent = '', maxLines = 4): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    const head = lines.length === 0 ? '' : indent;
    if (line !== '' && head.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  const out = lines.map((l, i) => fit((i === 0 ? '' : indent) + l, width));
  if (out.length <= maxLines) return out;
  const kept = out.slice(0, maxLines);
  kept[maxLines - 1] = fit(truncate(kept[maxLines - 1].trimEnd() + ' …', width), width);
  return kept;
}
