// Lines built as bytes: whatever is written comes out in order, a line is never split over two blocks (so it can
// be rewound), and taken buffers are not written over later.
import { describe, expect, it } from 'vitest';
import { LineBuffer } from '../../../src/output/line-buffer.js';

const joined = (bufs: Buffer[]) => Buffer.concat(bufs).toString('utf8');

describe('line buffer', () => {
  it('keeps every line whole and in order across blocks, taken buffers stay as they were', () => {
    const b = new LineBuffer();
    const expected: string[] = [];
    const taken: Buffer[] = [];
    for (let n = 0; n < 5000; n++) {
      b.newLine();
      const line = `${n} ${'x'.repeat(n % 97)} ü ${n * 7}`;
      b.ascii(`${n} `);
      b.bytes(Buffer.from('x'.repeat(n % 97)));
      b.text(' ü ');
      b.num(n * 7);
      b.byte(0x0a);
      expected.push(line);
      if (n % 700 === 0) taken.push(...b.take());
    }
    taken.push(...b.take());
    expect(joined(taken)).toBe(expected.map((l) => `${l}\n`).join(''));
  });

  it('a line rewound goes away whole, even after its start moved to a new block', () => {
    const b = new LineBuffer();
    b.newLine();
    b.ascii('kept\n');
    b.newLine();
    b.ascii('gone');
    b.bytes(Buffer.alloc(100_000, 'y')); // beyond the block: the line moves to one of its own
    b.rewindLine();
    b.ascii('instead\n');
    expect(b.toString()).toBe('kept\ninstead\n');
  });

  it('numbers as String() writes them', () => {
    const b = new LineBuffer();
    for (const n of [0, 7, 10, 99, 100, 123456789, 2 ** 53 - 1, 2 ** 53, -1, 1.5, 1733246477123.456, NaN, Infinity]) {
      b.newLine();
      b.num(n);
      expect(b.toString()).toBe(Number.isFinite(n) ? String(n) : 'null');
    }
  });
});
