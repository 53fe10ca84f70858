// CRC-64/Jones: the WebAssembly path (pieces of 256 bytes and more, in 64 KiB blocks) and the JS path
// (short pieces) must both equal a plain bit-by-bit reference, whatever the piece sizes and alignment.
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../../src/decode/rdb/crc64.js';

const POLY = 0x95ac9329ac4bc9b5n;
function reference(data: Uint8Array): string {
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  return crc.toString(16).padStart(16, '0');
}

// deterministic pseudo-random bytes (xorshift32), longer than two wasm input blocks
const data = new Uint8Array(150_000);
for (let i = 0, x = 2463534242; i < data.length; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  data[i] = x & 0xff;
}
const expected = reference(data);

describe('Crc64', () => {
  it('whole input equals the bitwise reference', () => {
    const c = new Crc64();
    c.update(data);
    expect(c.hex()).toBe(expected);
  });
  for (const piece of [1, 7, 255, 256, 257, 4099, 65_536, 65_537, 140_001]) {
    it(`pieces of ${piece} bytes, from an odd offset of a larger buffer`, () => {
      const shifted = new Uint8Array(data.length + 3);
      shifted.set(data, 3);
      const c = new Crc64();
      for (let p = 3; p < shifted.length; p += piece) c.update(shifted, p, Math.min(p + piece, shifted.length));
      expect(c.hex()).toBe(expected);
    });
  }
  it('two running CRCs do not share state', () => {
    const a = new Crc64();
    const b = new Crc64();
    a.update(data, 0, 70_000);
    b.update(data, 0, 1000);
    a.update(data, 70_000);
    b.update(data, 1000);
    expect(a.hex()).toBe(expected);
    expect(b.hex()).toBe(expected);
  });
});
