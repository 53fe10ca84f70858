/** Hex excerpt of offending bytes for a protocol-violation event (at most 32 bytes). */
export function excerptHex(b: Buffer, max = 32): string {
  return b.subarray(0, max).toString('hex');
}
