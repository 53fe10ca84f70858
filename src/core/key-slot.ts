// The Redis Cluster hash slot of a key: CRC16 (XMODEM) of the key, or of its hash tag `{...}` when it has a
// non-empty one, modulo 16384 (cluster.c keyHashSlot).

export const CLUSTER_SLOTS = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  TABLE[i] = crc & 0xffff;
}

function crc16(key: Buffer, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ key[i]) & 0xff];
  return crc;
}

/** Where `byte` is in key[from..], or -1. A loop for short keys: a native indexOf call costs more than it saves. */
function find(key: Buffer, byte: number, from: number): number {
  if (key.length - from > 64) return key.indexOf(byte, from);
  for (let i = from; i < key.length; i++) if (key[i] === byte) return i;
  return -1;
}

export function keySlot(key: Buffer): number {
  const open = find(key, 0x7b, 0); // '{'
  if (open >= 0) {
    const close = find(key, 0x7d, open + 1); // '}'
    if (close > open + 1) return crc16(key, open + 1, close) & (CLUSTER_SLOTS - 1);
  }
  return crc16(key, 0, key.length) & (CLUSTER_SLOTS - 1);
}
