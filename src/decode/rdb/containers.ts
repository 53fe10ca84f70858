// Walkers for the packed containers stored as RDB string blobs (§9.6): they validate the structure and count
// entries without materialising any. `at` is the file offset reported when the blob is corrupt (the blob's
// string header: a position inside an LZF-compressed blob has no file offset).

import { RdbFormatError } from './errors.js';

function corrupt(at: number, container: string, expected: string, detail: string): never {
  throw new RdbFormatError('RDB_CORRUPT_CONTAINER', at, expected, `corrupt ${container}: ${detail}`);
}

function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/** Number of entries in a listpack. */
export function listpackEntries(b: Uint8Array, at: number): number {
  const end = b.length;
  if (end < 7) corrupt(at, 'listpack', 'a 6-byte header and 0xFF terminator', `only ${end} bytes`);
  const total = u32le(b, 0);
  if (total !== end) corrupt(at, 'listpack', `total_bytes = blob size ${end}`, `header says ${total} bytes`);
  if (b[end - 1] !== 0xff) corrupt(at, 'listpack', '0xFF terminator', `last byte is 0x${b[end - 1].toString(16)}`);
  const declared = b[4] | (b[5] << 8);
  let p = 6;
  let count = 0;
  const last = end - 1;
  while (p < last) {
    const c = b[p];
    let size: number;
    if (c < 0x80) size = 1;
    else if ((c & 0xc0) === 0x80) size = 1 + (c & 0x3f);
    else if ((c & 0xe0) === 0xc0) size = 2;
    else if ((c & 0xf0) === 0xe0) size = 2 + (((c & 0x0f) << 8) | b[p + 1]);
    else if (c === 0xf0) size = 5 + u32le(b, p + 1);
    else if (c === 0xf1) size = 3;
    else if (c === 0xf2) size = 4;
    else if (c === 0xf3) size = 5;
    else if (c === 0xf4) size = 9;
    else corrupt(at, 'listpack', 'an entry encoding byte', `entry ${count} has encoding 0x${c.toString(16)} at blob offset ${p}`);
    const backlen = size < 128 ? 1 : size < 16384 ? 2 : size < 2097152 ? 3 : size < 268435456 ? 4 : 5;
    p += size + backlen;
    count++;
  }
  if (p !== last) corrupt(at, 'listpack', 'entries ending at the terminator', `entry ${count - 1} runs past the end`);
  if (declared !== 65535 && declared !== count) {
    corrupt(at, 'listpack', `${declared} entries (header)`, `found ${count} entries`);
  }
  return count;
}

/** Number of entries in a ziplist. */
export function ziplistEntries(b: Uint8Array, at: number): number {
  const end = b.length;
  if (end < 11) corrupt(at, 'ziplist', 'a 10-byte header and 0xFF terminator', `only ${end} bytes`);
  const total = u32le(b, 0);
  if (total !== end) corrupt(at, 'ziplist', `zlbytes = blob size ${end}`, `header says ${total} bytes`);
  const tail = u32le(b, 4);
  if (tail >= end) corrupt(at, 'ziplist', `zltail below ${end}`, `zltail is ${tail}`);
  if (b[end - 1] !== 0xff) corrupt(at, 'ziplist', '0xFF terminator', `last byte is 0x${b[end - 1].toString(16)}`);
  const declared = b[8] | (b[9] << 8);
  const last = end - 1;
  let p = 10;
  let count = 0;
  while (p < last) {
    const prevlenSize = b[p] < 254 ? 1 : 5;
    if (b[p] === 255) corrupt(at, 'ziplist', 'an entry', `0xFF inside the entries at blob offset ${p}`);
    const q = p + prevlenSize;
    if (q >= last) break;
    const c = b[q];
    let size: number;
    switch (c >> 6) {
      case 0:
        size = 1 + (c & 0x3f);
        break;
      case 1:
        size = 2 + (((c & 0x3f) << 8) | b[q + 1]);
        break;
      case 2:
        if (c !== 0x80) corrupt(at, 'ziplist', 'a string encoding', `encoding 0x${c.toString(16)} at blob offset ${q}`);
        size = 5 + (b[q + 1] * 16777216 + ((b[q + 2] << 16) | (b[q + 3] << 8) | b[q + 4]));
        break;
      default:
        if (c === 0xc0) size = 3;
        else if (c === 0xd0) size = 5;
        else if (c === 0xe0) size = 9;
        else if (c === 0xf0) size = 4;
        else if (c === 0xfe) size = 2;
        else if (c >= 0xf1 && c <= 0xfd) size = 1;
        else corrupt(at, 'ziplist', 'an entry encoding byte', `encoding 0x${c.toString(16)} at blob offset ${q}`);
    }
    p = q + size;
    count++;
  }
  if (p !== last) corrupt(at, 'ziplist', 'entries ending at the terminator', `entry ${count} runs past the end (blob offset ${p} of ${last})`);
  if (declared !== 65535 && declared !== count) corrupt(at, 'ziplist', `${declared} entries (header)`, `found ${count} entries`);
  return count;
}

/** Number of members of an intset, and its element width in bytes. */
export function intsetEntries(b: Uint8Array, at: number): { count: number; width: number } {
  if (b.length < 8) corrupt(at, 'intset', 'an 8-byte header', `only ${b.length} bytes`);
  const width = u32le(b, 0);
  if (width !== 2 && width !== 4 && width !== 8) corrupt(at, 'intset', 'encoding 2, 4 or 8', `encoding ${width}`);
  const count = u32le(b, 4);
  if (8 + width * count !== b.length) {
    corrupt(at, 'intset', `${8 + width * count} bytes for ${count} members of ${width} bytes`, `blob has ${b.length} bytes`);
  }
  return { count, width };
}

/** Number of field/value pairs in a zipmap (written by Redis <= 2.4). */
export function zipmapEntries(b: Uint8Array, at: number): number {
  const end = b.length;
  let p = 1;
  let count = 0;
  const readLen = (): number => {
    if (p >= end) corrupt(at, 'zipmap', 'a length', 'cut short');
    const c = b[p];
    if (c < 254) {
      p += 1;
      return c;
    }
    if (c === 254) {
      if (p + 5 > end) corrupt(at, 'zipmap', 'a 4-byte length', 'cut short');
      const v = u32le(b, p + 1);
      p += 5;
      return v;
    }
    return -1;
  };
  for (;;) {
    const klen = readLen();
    if (klen < 0) break;
    p += klen;
    const vlen = readLen();
    if (vlen < 0) corrupt(at, 'zipmap', 'a value length', 'end marker after a key');
    if (p >= end) corrupt(at, 'zipmap', 'a free-space byte', 'cut short');
    const free = b[p];
    p += 1 + vlen + free;
    count++;
  }
  if (p !== end - 1) corrupt(at, 'zipmap', 'the 0xFF end as last byte', `ends at blob offset ${p} of ${end - 1}`);
  return count;
}
