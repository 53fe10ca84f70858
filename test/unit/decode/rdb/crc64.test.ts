// CRC-64/Jones: the WebAssembly path (pieces of 256 bytes and more, in 64 KiB blocks) and the JS path
// (short pieces) must both equal a plain bit-by-bit reference, whatever the piece sizes and alignment.
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../../../src/decode/rdb/crc64.js';

const POLY = 0x95ac9329ac4bc9b5n;
/** Bit-by-bit CRC state after `data`, from state `crc`. */
function referenceState(data: Uint8Array, crc = 0n): bigint {
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  return crc;
}
const toHex = (crc: bigint): string => crc.toString(16).padStart(16, '0');
const reference = (data: Uint8Array): string => toHex(referenceState(data));

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
  it('check value of "123456789"', () => {
    const c = new Crc64();
    c.update(new TextEncoder().encode('123456789'));
    expect(c.hex()).toBe('e9c6d914c4b8d9ca');
  });
  // The WebAssembly update runs 16-byte steps then single bytes: every length around its edges (the
  // WASM_MIN threshold, the step size, the 64 KiB input block), from an odd offset, after a first piece
  // so the incoming state is not zero.
  const prefix = data.subarray(0, 100);
  const prefixState = referenceState(prefix);
  function edgeCase(lengths: number[], offset: number): void {
    let state = referenceState(data.subarray(offset, offset + lengths[0]), prefixState);
    for (let n = lengths[0]; n <= lengths[1]; n++) {
      if (n > lengths[0]) state = referenceState(data.subarray(offset + n - 1, offset + n), state);
      const c = new Crc64();
      c.update(prefix);
      c.update(data, offset, offset + n);
      expect(c.hex(), `${n} bytes from offset ${offset}`).toBe(toHex(state));
    }
  }
  for (const offset of [101, 1003]) {
    it(`every length from 240 to 290 bytes, from offset ${offset}, after a first piece`, () => edgeCase([240, 290], offset));
    it(`every length from 65_504 to 65_570 bytes, from offset ${offset}, after a first piece`, () => edgeCase([65_504, 65_570], offset));
  }
  it('all-0xff and all-zero input (the highest and lowest table indexes)', () => {
    for (const fill of [0xff, 0]) {
      const bytes = new Uint8Array(70_000).fill(fill);
      const c = new Crc64();
      c.update(bytes, 0, 333);
      c.update(bytes, 333);
      expect(c.hex()).toBe(reference(bytes));
    }
  });
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
