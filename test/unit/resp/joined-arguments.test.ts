// Arguments split across chunks are joined exactly (in the framer's reused scratch buffer while it has room,
// in their own buffer beyond it), several per command, and a command's joined arguments never overlap. An
// argument above the keep limit keeps its first bytes only. Every chunking (sampled: the input is large).
import { describe, expect, it } from 'vitest';
import { mulberry32, sampledChunkings } from '../../helpers/chunkings.js';
import { CUT_ARG_PREFIX_BYTES, RespFramer } from '../../../src/resp/framer.js';

const KEEP = 250_000;
const rand = mulberry32(7);
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
const resp = (argv: Buffer[]): Buffer =>
  Buffer.concat([Buffer.from(`*${argv.length}\r\n`), ...argv.flatMap((a) => [Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n')])]);

const commands: Buffer[][] = [
  [Buffer.from('SET'), Buffer.from('k1'), bytes(1000)],
  // together larger than the scratch buffer: the later ones get their own buffer
  [Buffer.from('MSET'), Buffer.from('a'), bytes(40_000), Buffer.from('b'), bytes(40_000), Buffer.from('c'), bytes(3000)],
  [Buffer.from('SET'), Buffer.from('big'), bytes(200_000)],
  [Buffer.from('SET'), Buffer.from('cut'), bytes(KEEP + 10)],
  [Buffer.from('SET'), Buffer.from('k2'), bytes(1500)],
  [Buffer.from('SET'), Buffer.from(''), Buffer.alloc(0)],
];
const input = Buffer.concat(commands.map(resp));

describe('joined arguments', () => {
  it('are exact under every chunking, also while the scratch buffer is reused', () => {
    for (const { name, chunks } of sampledChunkings(input, 100, 10)) {
      const seen: { argv: Buffer[]; argBytes: number[] | undefined }[] = [];
      const command = (argv: Buffer[], argBytes: number[] | undefined): void => {
        // checked during the call (views are valid only now), and copied for the checks after
        const want = commands[seen.length];
        argv.forEach((a, i) => {
          const full = want[i];
          const expected = full.length > KEEP ? full.subarray(0, CUT_ARG_PREFIX_BYTES) : full;
          if (!a.equals(expected)) throw new Error(`${name}: command ${seen.length} argument ${i} differs`);
        });
        seen.push({ argv: argv.map((a) => Buffer.from(a)), argBytes });
      };
      const framer = new RespFramer(
        'requests',
        {
          command: (argv, _start, _end, argBytes) => command(argv, argBytes),
          error: (e) => {
            throw new Error(`${name}: ${e.code} at ${e.pos}`);
          },
        },
        { keepArgBytes: KEEP },
      );
      for (const c of chunks) framer.feed(c);
      expect(seen.length, name).toBe(commands.length);
      expect(seen[3].argBytes, name).toEqual([3, 3, KEEP + 10]);
      expect(seen.filter((s, i) => i !== 3).every((s) => s.argBytes === undefined), name).toBe(true);
      expect(seen[1].argv[2].equals(commands[1][2]) && seen[4].argv[2].equals(commands[4][2]), name).toBe(true);
    }
  });
});
