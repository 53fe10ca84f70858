// The AOF command reader (after a preamble / in incremental files) and the append-only manifest parser.
import { describe, expect, it } from 'vitest';
import { chunkings } from '../../../helpers/chunkings.js';
import { AofCommandReader } from '../../../../src/decode/rdb/aof-commands.js';
import { parseAofManifest } from '../../../../src/decode/rdb/aof-manifest.js';

function read(chunks: Buffer[]): { commands: { argv: string[]; pos: number; bytes: number }[]; problem: unknown; annotations: number } {
  const r = new AofCommandReader();
  const commands: { argv: string[]; pos: number; bytes: number }[] = [];
  for (const c of chunks) r.feed(c, (cmd) => commands.push({ argv: cmd.argv.map((a) => a.toString()), pos: cmd.pos, bytes: cmd.bytes }));
  r.end();
  return { commands, problem: r.problem, annotations: r.annotations };
}

describe('AOF command reader', () => {
  const aof = Buffer.from('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n#TS:1700000000\r\n*3\r\n$3\r\nset\r\n$2\r\nk3\r\n$5\r\na\r\nb\r\r\n');
  it('reads commands and annotations the same under every chunking', () => {
    for (const c of chunkings(aof)) {
      expect(read(c.chunks), c.name).toEqual({
        commands: [
          { argv: ['SELECT', '0'], pos: 0, bytes: 23 },
          { argv: ['set', 'k3', 'a\r\nb\r'], pos: 39, bytes: 32 },
        ],
        problem: null,
        annotations: 1,
      });
    }
  });
  it('a truncated tail is a problem at the start of the cut command', () => {
    for (let n = 24; n < aof.length - 1; n++) {
      const t = read([aof.subarray(0, n)]);
      if (n > 39) expect(t.problem, `cut at ${n}`).toMatchObject({ pos: 39, expected: 'a complete command' });
    }
  });
  it('garbage is a problem with its offset', () => {
    expect(read([Buffer.from('*1\r\n$4\r\nPING\r\nhello')]).problem).toMatchObject({ pos: 14, expected: '"*" (a command) or "#" (an annotation)' });
    expect(read([Buffer.from('*1\r\n$4\r\nPINGxx')]).problem).toMatchObject({ pos: 12, expected: 'CRLF after the bulk' });
  });
});

describe('append-only manifest', () => {
  it('reads base, history and incremental entries, quoted names too', () => {
    const text = 'file appendonly.aof.1.base.rdb seq 1 type b\nfile "my file.aof" seq 3 type i\nfile appendonly.aof.2.incr.aof seq 2 type h\n';
    expect(parseAofManifest(text)).toEqual({
      entries: [
        { file: 'appendonly.aof.1.base.rdb', seq: 1, type: 'base' },
        { file: 'my file.aof', seq: 3, type: 'incr' },
        { file: 'appendonly.aof.2.incr.aof', seq: 2, type: 'history' },
      ],
      problems: [],
    });
  });
  it('names the bad line', () => {
    expect(parseAofManifest('file x seq one type b\n').problems[0]).toMatch(/line 1/);
  });
});
