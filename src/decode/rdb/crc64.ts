// CRC-64/Jones as Redis uses it for the RDB trailer: reflected, polynomial 0xAD93D23594C935A9
// (0x95AC9329AC4BC9B5 in LSB-first form), init 0, no final xor. Check value of "123456789" is
// 0xe9c6d914c4b8d9ca. Pieces of WASM_MIN bytes or more run in a small WebAssembly module with native
// 64-bit integers, slicing by 16 (crc64-wasm.ts, ~2-3x faster: the CRC was most of the RDB analysis time);
// short pieces stay in JS, slicing by 8 (8 input bytes per step) with the state as two uint32 halves,
// because the copy and call would cost more than they save.

import { INPUT_AT, INPUT_BYTES, RESULT_AT, SLICES, instantiateCrc64 } from './crc64-wasm.js';

const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// tables 0-7 serve the JS path, all SLICES of them the WebAssembly one
const T_LO = new Int32Array(SLICES * 256);
const T_HI = new Int32Array(SLICES * 256);

for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let bit = 0; bit < 8; bit++) {
    const lsb = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (lsb) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  T_LO[i] = lo;
  T_HI[i] = hi;
}
for (let k = 1; k < SLICES; k++) {
  for (let i = 0; i < 256; i++) {
    const pLo = T_LO[(k - 1) * 256 + i];
    const pHi = T_HI[(k - 1) * 256 + i];
    const idx = pLo & 0xff;
    T_LO[k * 256 + i] = (((pLo >>> 8) | (pHi << 24)) ^ T_LO[idx]) >>> 0;
    T_HI[k * 256 + i] = ((pHi >>> 8) ^ T_HI[idx]) >>> 0;
  }
}

const WASM_MIN = 256;
const wasm = instantiateCrc64(T_LO, T_HI);
const result = new Uint32Array(wasm.mem.buffer, RESULT_AT, 2); // wasm memory is little-endian

/** Running CRC-64/Jones over a byte stream fed in pieces. */
export class Crc64 {
  lo = 0;
  hi = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): void {
    if (end - start >= WASM_MIN && LITTLE_ENDIAN) {
      this.updateWasm(buf, start, end);
      return;
    }
    let lo = this.lo;
    let hi = this.hi;
    let p = start;
    // bytes one by one up to a 4-byte boundary, then 8 bytes per step read as two aligned int32 words
    for (; p < end && ((buf.byteOffset + p) & 3) !== 0; p++) {
      const idx = (lo ^ buf[p]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ T_LO[idx];
      hi = (hi >>> 8) ^ T_HI[idx];
    }
    const words = Math.floor((end - p) / 8) * 2;
    if (LITTLE_ENDIAN && words > 0) {
      const w = new Int32Array(buf.buffer, buf.byteOffset + p, words);
      for (let i = 0; i < words; i += 2) {
        lo ^= w[i];
        hi ^= w[i + 1];
        const nLo =
          T_LO[1792 + (lo & 0xff)] ^
          T_LO[1536 + ((lo >>> 8) & 0xff)] ^
          T_LO[1280 + ((lo >>> 16) & 0xff)] ^
          T_LO[1024 + (lo >>> 24)] ^
          T_LO[768 + (hi & 0xff)] ^
          T_LO[512 + ((hi >>> 8) & 0xff)] ^
          T_LO[256 + ((hi >>> 16) & 0xff)] ^
          T_LO[hi >>> 24];
        hi =
          T_HI[1792 + (lo & 0xff)] ^
          T_HI[1536 + ((lo >>> 8) & 0xff)] ^
          T_HI[1280 + ((lo >>> 16) & 0xff)] ^
          T_HI[1024 + (lo >>> 24)] ^
          T_HI[768 + (hi & 0xff)] ^
          T_HI[512 + ((hi >>> 8) & 0xff)] ^
          T_HI[256 + ((hi >>> 16) & 0xff)] ^
          T_HI[hi >>> 24];
        lo = nLo;
      }
      p += words * 4;
    }
    for (; p < end; p++) {
      const idx = (lo ^ buf[p]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ T_LO[idx];
      hi = (hi >>> 8) ^ T_HI[idx];
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  private updateWasm(buf: Uint8Array, start: number, end: number): void {
    for (let p = start; p < end; p += INPUT_BYTES) {
      const n = Math.min(INPUT_BYTES, end - p);
      wasm.mem.set(buf.subarray(p, p + n), INPUT_AT);
      wasm.update(this.lo, this.hi, n);
      this.lo = result[0];
      this.hi = result[1];
    }
  }

  /** The value as 16 lowercase hex digits. */
  hex(): string {
    return hex64(this.hi, this.lo);
  }
}

export function hex64(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}
