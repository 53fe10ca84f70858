// CRC-64/Jones update as a tiny hand-assembled WebAssembly module: WebAssembly has native 64-bit
// integers, so a table entry is one load (JS needs two, on uint32 halves). Slicing-by-16: 16 input bytes
// per step, byte j looked up in table 15 - j and the 16 results xored. The step is arranged for the two
// limits measured on this loop (bench/notes.md): the chain from one step's crc to the next, and the
// number of instructions per byte.
// - Only bytes 0-7 are xored with the crc; the lookups of bytes 8-15 do not depend on it, so they are
//   xored first and the chain through the crc-dependent lookups is 8 xors long, not 16.
// - Bytes 8-15 are read with one byte load each (the byte times 8 is then one shift); bytes 0-7 are xored
//   with the crc as one i64 and cut into two i32 words (the byte times 8 is a shift and a mask).
// - One chain of xors rather than a tree: with a tree, V8 computes all 16 lookups before xoring and
//   spills half of them to the stack.
// Independent lanes joined by a shift (as Redis 8 does) were measured too and were not faster here.
// Then the last < 16 bytes one by one. The module owns one memory:
//   [0, 32 KiB)        16 tables of 256 u64 (table k at k * 2 KiB), filled from JS at load time
//   [32 KiB, +8)       the result of the last update (u64)
//   [64 KiB, 128 KiB)  the input block: JS copies up to 64 KiB here, then calls update(lo, hi, len)

import {
  BLOCK, BR, BR_IF, END, I32, I32_ADD, I32_AND, I32_CONST, I32_GT_U, I32_LOAD8_U, I32_SHL, I32_SHR_U,
  I32_WRAP_I64, I64, I64_CONST, I64_EXTEND_I32_U, I64_LOAD, I64_LOAD8_U, I64_OR, I64_SHL, I64_SHR_U, I64_STORE,
  I64_XOR, LOCAL_GET, LOCAL_SET, LOCAL_TEE, LOOP, VOID, memarg, name, section, sleb, uleb, vec,
} from './wasm-encoding.js';

const TABLES_AT = 0;
export const SLICES = 16;
export const RESULT_AT = 32 * 1024;
export const INPUT_AT = 64 * 1024;
export const INPUT_BYTES = 64 * 1024;

// params: 0 lo, 1 hi, 2 len; locals: 3 crc, 4 crc ^ bytes 0-7 of the step (i64); 5 p, 6 end, 7-8 the
// two i32 halves of local 4
const [LO, HI, LEN, CRC, MIXED, P, ENDP] = [0, 1, 2, 3, 4, 5, 6];
const WORDS = [7, 8];

type Code = number[];
const table = (t: number): number => TABLES_AT + t * 2048;

/** Lookup of byte j (0-7) of the mixed crc, from table 15 - j: byte k of a word, times 8, is a shift
 * and a mask. */
function mixedLookup(j: number): Code {
  const k = j & 3;
  const scaled = k === 0 ? [I32_CONST, 3, I32_SHL] : [I32_CONST, ...sleb(8 * k - 3), I32_SHR_U];
  return [LOCAL_GET, WORDS[j >> 2], ...scaled, I32_CONST, ...sleb(0x7f8), I32_AND, I64_LOAD, ...memarg(table(15 - j))];
}

/** Lookup of byte j (8-15) of the step at p + at, from table 15 - j. */
const inputLookup = (at: number, j: number): Code => [
  LOCAL_GET, P, I32_LOAD8_U, ...memarg(at + j, 0), I32_CONST, 3, I32_SHL, I64_LOAD, ...memarg(table(15 - j)),
];

const xorChain = (values: Code[]): Code => [...values[0], ...values.slice(1).flatMap((v) => [...v, I64_XOR])];

/** crc after the 16 bytes at p + at. */
const step = (at: number): Code => [
  // mixed = crc ^ bytes 0-7; its halves in WORDS
  LOCAL_GET, CRC, LOCAL_GET, P, I64_LOAD, ...memarg(at), I64_XOR, LOCAL_TEE, MIXED, I32_WRAP_I64, LOCAL_SET, WORDS[0],
  LOCAL_GET, MIXED, I64_CONST, 32, I64_SHR_U, I32_WRAP_I64, LOCAL_SET, WORDS[1],
  ...xorChain([
    ...Array.from({ length: 8 }, (_, i) => inputLookup(at, 8 + i)),
    ...Array.from({ length: 8 }, (_, j) => mixedLookup(j)),
  ]),
  LOCAL_SET, CRC,
];

/** Runs `code` then moves p on by n, as long as at least n bytes are left. */
const whileAtLeast = (n: number, code: Code): Code => [
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, P, I32_CONST, ...sleb(n), I32_ADD, LOCAL_GET, ENDP, I32_GT_U, BR_IF, 1,
  ...code,
  LOCAL_GET, P, I32_CONST, ...sleb(n), I32_ADD, LOCAL_SET, P,
  BR, 0, END, END,
];

const body: Code = [
  ...vec([[2, I64], [2 + WORDS.length, I32]]),
  // crc = lo | hi << 32; p = INPUT_AT; end = p + len
  LOCAL_GET, LO, I64_EXTEND_I32_U, LOCAL_GET, HI, I64_EXTEND_I32_U, I64_CONST, 32, I64_SHL, I64_OR, LOCAL_SET, CRC,
  I32_CONST, ...sleb(INPUT_AT), LOCAL_SET, P,
  LOCAL_GET, P, LOCAL_GET, LEN, I32_ADD, LOCAL_SET, ENDP,
  // two steps per iteration (half the loop's own instructions); storing the crc between them keeps V8
  // from computing the second step's lookups before the first one's xors (a load does not move above
  // a store), which would spill them to the stack. The store lands where the result goes anyway.
  ...whileAtLeast(32, [...step(0), I32_CONST, 0, LOCAL_GET, CRC, I64_STORE, ...memarg(RESULT_AT), ...step(16)]),
  ...whileAtLeast(16, step(0)),
  // the last < 16 bytes one by one: crc = T0[(crc ^ byte) & 0xff] ^ crc >> 8
  ...whileAtLeast(1, [
    LOCAL_GET, CRC, LOCAL_GET, P, I64_LOAD8_U, ...memarg(0, 0), I64_XOR, I32_WRAP_I64, I32_CONST, ...sleb(0xff), I32_AND,
    I32_CONST, 3, I32_SHL, I64_LOAD, ...memarg(TABLES_AT),
    LOCAL_GET, CRC, I64_CONST, 8, I64_SHR_U, I64_XOR, LOCAL_SET, CRC,
  ]),
  I32_CONST, ...sleb(RESULT_AT), LOCAL_GET, CRC, I64_STORE, ...memarg(0),
  END,
];

const bytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32]]), 0]])), // type 0: (i32 i32 i32) -> ()
  ...section(3, vec([[0]])), // function 0 has type 0
  ...section(5, vec([[0x00, 2]])), // one memory of 2 pages (128 KiB), fixed
  ...section(7, vec([[...name('mem'), 0x02, 0], [...name('update'), 0x00, 0]])),
  ...section(10, vec([[...uleb(body.length), ...body]])),
]);

export interface Crc64Wasm {
  /** Runs over mem[INPUT_AT, INPUT_AT + len) from state (lo, hi); the new state is at RESULT_AT. */
  update(lo: number, hi: number, len: number): void;
  mem: Uint8Array;
}

/** Instantiates the module with the slicing tables (`lo`/`hi` halves, SLICES * 256 entries each). */
export function instantiateCrc64(tableLo: Int32Array, tableHi: Int32Array): Crc64Wasm {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const memory = instance.exports.mem as WebAssembly.Memory;
  const view = new DataView(memory.buffer);
  for (let i = 0; i < tableLo.length; i++) {
    view.setInt32(TABLES_AT + i * 8, tableLo[i], true);
    view.setInt32(TABLES_AT + i * 8 + 4, tableHi[i], true);
  }
  return { update: instance.exports.update as Crc64Wasm['update'], mem: new Uint8Array(memory.buffer) };
}
