// Byte reader over the decoder's current window of unconsumed RDB bytes. Every read either completes or
// throws NEED_MORE (recording in `needAbs` how far the window must reach), leaving the caller to rewind to
// the start of the unit it was reading and retry once more bytes arrived. Strings are not materialised:
// str()/strHeader() describe the last string in the s* fields, and strBytes() decodes it on request.

import { NEED_MORE, RdbFormatError } from './errors.js';
import { lzfDecompress } from './lzf.js';

export const STR_RAW = 0;
export const STR_INT = 1;
export const STR_LZF = 2;

const EMPTY = Buffer.alloc(0);
const TWO_32 = 4294967296;

export class Reader {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;
  /** absolute file offset of buf[0] */
  base = 0;
  /** after NEED_MORE: the absolute offset the window must extend to (at least one more byte) */
  needAbs = 0;

  // the last string read: encoding, payload start (in buf), payload length, decoded length, int value
  sEnc = STR_RAW;
  sStart = 0;
  sLen = 0;
  sUlen = 0;
  sInt = 0;
  /** absolute offset of the last string's first header byte */
  sPos = 0;
  /** side result of steps that produce text (module names) */
  text = '';

  abs(): number {
    return this.base + this.pos;
  }

  needMore(n: number): never {
    this.needAbs = this.base + this.pos + n;
    throw NEED_MORE;
  }

  u8(): number {
    if (this.pos >= this.end) this.needMore(1);
    return this.buf[this.pos++];
  }

  /** Advances over n bytes and returns where they start in buf. */
  fixed(n: number): number {
    if (this.pos + n > this.end) this.needMore(n);
    const p = this.pos;
    this.pos += n;
    return p;
  }

  /** Signed little-endian 64-bit integer (exact up to 2^53) at buf[p]. */
  i64le(p: number): number {
    const b = this.buf;
    const lo = b[p] + b[p + 1] * 256 + b[p + 2] * 65536 + b[p + 3] * 16777216;
    const hi = b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24);
    return hi * TWO_32 + lo;
  }

  /** A §9.2 length. Above 2^53 (stream IDs, module values) the number is approximate. */
  len(): number {
    const start = this.pos;
    const b0 = this.u8();
    const t = b0 >> 6;
    if (t === 0) return b0 & 0x3f;
    if (t === 1) {
      if (this.pos >= this.end) {
        this.pos = start;
        this.needMore(2);
      }
      return ((b0 & 0x3f) << 8) | this.buf[this.pos++];
    }
    if (b0 === 0x80) {
      if (this.pos + 4 > this.end) {
        this.pos = start;
        this.needMore(5);
      }
      const b = this.buf;
      const p = this.pos;
      this.pos += 4;
      return b[p] * 16777216 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
    }
    if (b0 === 0x81) {
      if (this.pos + 8 > this.end) {
        this.pos = start;
        this.needMore(9);
      }
      const b = this.buf;
      const p = this.pos;
      this.pos += 8;
      const hi = b[p] * 16777216 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
      const lo = b[p + 4] * 16777216 + ((b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]);
      return hi * TWO_32 + lo;
    }
    const what = t === 3 ? `a string encoding (0x${b0.toString(16)})` : `0x${b0.toString(16)}`;
    throw new RdbFormatError(
      'RDB_BAD_LENGTH',
      this.base + start,
      'a length (6/14/32/64-bit form)',
      `invalid length encoding: found ${what}`,
    );
  }

  /** Reads a §9.3 string header; for raw and LZF strings sLen is the payload length, not yet consumed. */
  strHeader(): void {
    const start = this.pos;
    this.sPos = this.base + start;
    if (start >= this.end) this.needMore(1);
    const b0 = this.buf[start];
    if ((b0 & 0xc0) !== 0xc0) {
      this.sEnc = STR_RAW;
      this.sLen = this.sUlen = this.len();
      return;
    }
    this.pos++;
    const enc = b0 & 0x3f;
    if (enc <= 2) {
      const n = 1 << enc; // 1, 2 or 4 bytes
      if (this.pos + n > this.end) {
        this.pos = start;
        this.needMore(1 + n);
      }
      const b = this.buf;
      const p = this.pos;
      this.sInt = n === 1 ? (b[p] << 24) >> 24 : n === 2 ? ((b[p] | (b[p + 1] << 8)) << 16) >> 16 : b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
      this.pos += n;
      this.sEnc = STR_INT;
      this.sLen = 0;
      this.sUlen = decimalLength(this.sInt);
      return;
    }
    if (enc === 3) {
      try {
        this.sLen = this.len();
        this.sUlen = this.len();
      } catch (e) {
        this.pos = start;
        throw e;
      }
      this.sEnc = STR_LZF;
      return;
    }
    throw new RdbFormatError(
      'RDB_BAD_STRING',
      this.sPos,
      'a string (length, INT8/16/32 or LZF)',
      `unknown string encoding 0x${b0.toString(16)}`,
    );
  }

  /** Reads a whole string (header and payload). */
  str(): void {
    const start = this.pos;
    this.strHeader();
    this.strBody(start);
  }

  /** Consumes the payload of the string whose header strHeader() just read from `start`. */
  strBody(start: number): void {
    if (this.pos + this.sLen > this.end) {
      const n = this.pos + this.sLen - start;
      this.pos = start;
      this.needMore(n);
    }
    this.sStart = this.pos;
    this.pos += this.sLen;
  }

  /**
   * Reads a string's header and as much of its payload as is here, for strings whose content nobody needs.
   * Returns how many payload bytes are still to come (0 when the string is complete).
   */
  skipStr(): number {
    this.strHeader();
    const have = this.end - this.pos;
    if (this.sLen <= have) {
      this.sStart = this.pos;
      this.pos += this.sLen;
      return 0;
    }
    this.pos = this.end;
    return this.sLen - have;
  }

  /** The bytes of the last string read by str(): a view for raw strings, a new buffer otherwise. */
  strBytes(): Buffer {
    return this.decodeStr(this.sEnc, this.sStart, this.sLen, this.sUlen, this.sInt, this.sPos);
  }

  /** Decodes a string described by saved s* fields (its payload must still be in the window). */
  decodeStr(enc: number, start: number, len: number, ulen: number, int: number, pos: number): Buffer {
    if (enc === STR_RAW) return this.buf.subarray(start, start + len);
    if (enc === STR_INT) return Buffer.from(String(int), 'latin1');
    const out = lzfDecompress(this.buf, start, start + len, ulen);
    if (typeof out === 'string') {
      throw new RdbFormatError('RDB_BAD_LZF', pos, `LZF data decompressing to ${ulen} bytes`, `corrupt LZF string: ${out}`);
    }
    return out;
  }

  strText(): string {
    if (this.sEnc === STR_INT) return String(this.sInt);
    return this.strBytes().toString('utf8');
  }
}

function decimalLength(v: number): number {
  let n = v < 0 ? 2 : 1;
  let a = Math.abs(v);
  while (a >= 10) {
    a = Math.floor(a / 10);
    n++;
  }
  return n;
}
