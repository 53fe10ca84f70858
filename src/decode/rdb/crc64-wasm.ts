// CRC-64/Jones update as a tiny hand-assembled WebAssembly module: WebAssembly has native 64-bit
// integers, so one slicing-by-8 step is 8 table loads (JS needs 16 on two uint32 halves) and a few
// i64 ops; it goes further to slicing-by-16 (two words per step: the lookups of the second word do not
// wait for the first, so more of them run in parallel). The module owns one memory:
//   [0, 32 KiB)        16 tables of 256 u64 (table k at k * 2 KiB), filled from JS at load time
//   [32 KiB, +8)       the result of the last update (u64)
//   [64 KiB, 128 KiB)  the input block: JS copies up to 64 KiB here, then calls update(lo, hi, len)
// The bytes are built below from named opcodes rather than pasted, so the module can be read and changed.

export const TABLES_AT = 0;
export const SLICES = 16;
export const RESULT_AT = 32 * 1024;
export const INPUT_AT = 64 * 1024;
export const INPUT_BYTES = 64 * 1024;

// opcodes (WebAssembly core spec, binary format)
const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21;
const I32_CONST = 0x41, I64_CONST = 0x42;
const I32_LOAD = 0x28, I64_LOAD = 0x29, I64_LOAD8_U = 0x31, I64_STORE = 0x37;
const I32_ADD = 0x6a, I32_AND = 0x71, I32_XOR = 0x73, I32_SHL = 0x74, I32_SHR_U = 0x76, I32_GT_U = 0x4b, I32_GE_U = 0x4f, I32_WRAP_I64 = 0xa7;
const I64_XOR = 0x85, I64_OR = 0x84, I64_SHL = 0x86, I64_SHR_U = 0x88, I64_EXTEND_I32_U = 0xad;
const I32 = 0x7f, I64 = 0x7e;

/** Signed LEB128 (i32.const / i64.const immediates). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}
/** Unsigned LEB128 (sizes, indices, memory offsets). */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n ? byte | 0x80 : byte);
  } while (n);
  return out;
}
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const memarg = (offset: number, log2Align = 3): number[] => [log2Align, ...uleb(offset)]; // alignment: a hint

// params: 0 lo, 1 hi, 2 len; locals: 3 crc (i64), 4 p, 5 end, 6-9 the 16 input bytes of a step as
// four i32 words (the first two already xored with crc)
const [LO, HI, LEN, CRC, P, ENDP] = [0, 1, 2, 3, 4, 5];
const WORDS = [6, 7, 8, 9];

/** Table lookup for byte `k` (0 = lowest) of the i32 in local `v`, from table `t`: the byte times 8
 * (the entry size) is one shift and one mask. */
function lookup(v: number, k: number, t: number): number[] {
  const scaled = k === 0 ? [I32_CONST, 3, I32_SHL] : [I32_CONST, ...sleb(8 * k - 3), I32_SHR_U];
  return [LOCAL_GET, v, ...scaled, I32_CONST, ...sleb(0x7f8), I32_AND, I64_LOAD, ...memarg(TABLES_AT + t * 2048)];
}

const body: number[] = [
  ...vec([[1, I64], [6, I32]]),
  // crc = lo | hi << 32; p = INPUT_AT; end = p + len
  LOCAL_GET, LO, I64_EXTEND_I32_U, LOCAL_GET, HI, I64_EXTEND_I32_U, I64_CONST, 32, I64_SHL, I64_OR, LOCAL_SET, CRC,
  I32_CONST, ...sleb(INPUT_AT), LOCAL_SET, P,
  LOCAL_GET, P, LOCAL_GET, LEN, I32_ADD, LOCAL_SET, ENDP,
  // 16 bytes per step as words w0..w3 (w0, w1 xored with crc's halves); byte j of the step (0-15)
  // is looked up in table 15 - j and the 16 results xored: crc = T15[w0.b0] ^ ... ^ T0[w3.b3]
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, P, I32_CONST, 16, I32_ADD, LOCAL_GET, ENDP, I32_GT_U, BR_IF, 1,
  LOCAL_GET, CRC, I32_WRAP_I64, LOCAL_GET, P, I32_LOAD, ...memarg(0, 2), I32_XOR, LOCAL_SET, WORDS[0],
  LOCAL_GET, CRC, I64_CONST, 32, I64_SHR_U, I32_WRAP_I64, LOCAL_GET, P, I32_LOAD, ...memarg(4, 2), I32_XOR, LOCAL_SET, WORDS[1],
  LOCAL_GET, P, I32_LOAD, ...memarg(8, 2), LOCAL_SET, WORDS[2],
  LOCAL_GET, P, I32_LOAD, ...memarg(12, 2), LOCAL_SET, WORDS[3],
  ...lookup(WORDS[0], 0, 15),
  ...Array.from({ length: 15 }, (_, i) => i + 1).flatMap((j) => [...lookup(WORDS[j >> 2], j & 3, 15 - j), I64_XOR]),
  LOCAL_SET, CRC,
  LOCAL_GET, P, I32_CONST, 16, I32_ADD, LOCAL_SET, P,
  BR, 0, END, END,
  // the last < 16 bytes one by one: crc = T0[(crc ^ byte) & 0xff] ^ crc >> 8
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, P, LOCAL_GET, ENDP, I32_GE_U, BR_IF, 1,
  LOCAL_GET, CRC, LOCAL_GET, P, I64_LOAD8_U, ...memarg(0, 0), I64_XOR, I32_WRAP_I64, I32_CONST, ...sleb(0xff), I32_AND,
  I32_CONST, 3, I32_SHL, I64_LOAD, ...memarg(TABLES_AT),
  LOCAL_GET, CRC, I64_CONST, 8, I64_SHR_U, I64_XOR, LOCAL_SET, CRC,
  LOCAL_GET, P, I32_CONST, 1, I32_ADD, LOCAL_SET, P,
  BR, 0, END, END,
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
