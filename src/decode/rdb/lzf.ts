// LZF decompression (liblzf's lzf_d.c semantics) for RDB_ENC_LZF strings.
// Returns the decompressed bytes, or a string describing why the input is invalid.

export function lzfDecompress(src: Uint8Array, start: number, end: number, outLen: number): Buffer | string {
  const out = Buffer.allocUnsafe(outLen);
  let ip = start;
  let op = 0;
  while (ip < end) {
    const ctrl = src[ip++];
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (op + len > outLen) return 'literal run overflows the declared length';
      if (ip + len > end) return 'literal run past the end of the compressed data';
      for (let i = 0; i < len; i++) out[op++] = src[ip++];
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= end) return 'back-reference cut short';
        len += src[ip++];
      }
      if (ip >= end) return 'back-reference cut short';
      const ref = op - ((ctrl & 0x1f) << 8) - src[ip++] - 1;
      len += 2;
      if (ref < 0) return 'back-reference before the start of the output';
      if (op + len > outLen) return 'back-reference overflows the declared length';
      // byte by byte: source and destination may overlap (run-length style references)
      for (let i = 0; i < len; i++) out[op++] = out[ref + i];
    }
  }
  if (op !== outLen) return `decompressed to ${op} bytes, ${outLen} declared`;
  return out;
}
