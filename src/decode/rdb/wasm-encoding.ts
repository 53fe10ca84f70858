// The few pieces of the WebAssembly binary format (core spec, chapter 5) that crc64-wasm.ts needs to
// assemble its module from named opcodes instead of pasted bytes.

export const BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, VOID = 0x40;
export const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;
export const I32_CONST = 0x41, I64_CONST = 0x42;
export const I32_LOAD8_U = 0x2d, I64_LOAD = 0x29, I64_LOAD8_U = 0x31, I64_STORE = 0x37;
export const I32_ADD = 0x6a, I32_AND = 0x71, I32_SHL = 0x74, I32_SHR_U = 0x76;
export const I32_GT_U = 0x4b, I32_WRAP_I64 = 0xa7;
export const I64_XOR = 0x85, I64_OR = 0x84, I64_SHL = 0x86, I64_SHR_U = 0x88, I64_EXTEND_I32_U = 0xad;
export const I32 = 0x7f, I64 = 0x7e;

/** Signed LEB128 (i32.const / i64.const immediates). */
export function sleb(n: number): number[] {
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
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n ? byte | 0x80 : byte);
  } while (n);
  return out;
}

export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
export const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
/** Immediate of a load or store: alignment (a hint, as log2) and a constant offset added to the address. */
export const memarg = (offset: number, log2Align = 3): number[] => [log2Align, ...uleb(offset)];
