// Hex excerpts of offending bytes for protocol-violation events (at most 32 bytes).
const EXCERPT_BYTES = 32;
const CR = 0x0d;

export function excerptHex(b: Buffer, max = EXCERPT_BYTES): string {
  return b.subarray(0, max).toString('hex');
}

/** A line [start, end) as it came: the framer hands it without its line end, whose CR is shown if it was there. */
export function lineExcerptHex(line: Buffer, start: number, end: number): string {
  const cr = line.length < EXCERPT_BYTES && end - start - 1 > line.length;
  return cr ? Buffer.concat([line, Buffer.of(CR)]).toString('hex') : excerptHex(line);
}

/** A command's first bytes as RESP (the framer hands its arguments, not its bytes). */
export function commandExcerptHex(argv: Buffer[]): string {
  const parts = [Buffer.from(`*${argv.length}\r\n`)];
  let n = parts[0].length;
  for (const a of argv) {
    if (n >= EXCERPT_BYTES) break;
    const arg = Buffer.concat([Buffer.from(`$${a.length}\r\n`), a.subarray(0, EXCERPT_BYTES), Buffer.from('\r\n')]);
    parts.push(arg);
    n += arg.length;
  }
  return excerptHex(Buffer.concat(parts));
}
