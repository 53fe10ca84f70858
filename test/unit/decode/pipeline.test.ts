// The pipeline isolates failures: a decoder bug stops decoding that link only, a throwing subscriber is dropped.
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { createPipeline } from '../../../src/decode/pipeline.js';

const bytes = (link: number, from: 'master' | 'replica', s: string) => ({ kind: 'bytes' as const, link, at: 1, from, chunk: Buffer.from(s) });

describe('pipeline', () => {
  it('a decoder that throws reports RSPY_DECODER_BUG once, decodes nothing more on that link, and still reports its close', () => {
    const out: ReplEvent[] = [];
    const p = createPipeline({ rdbSink: () => ({ feed: () => { throw new Error('boom'); }, end: () => {} }) });
    p.subscribe((e) => out.push(e));
    p.wire(bytes(1, 'replica', '*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n'));
    p.wire(bytes(1, 'master', `+FULLRESYNC ${'a'.repeat(40)} 0\r\n$3\r\nabc`));
    p.wire(bytes(1, 'master', '*1\r\n$4\r\nping\r\n'));
    p.wire(bytes(2, 'replica', '*1\r\n$4\r\nPING\r\n')); // another link is unaffected
    p.wire({ kind: 'close', link: 1, at: 2, by: 'replica', reason: 'bye' });
    expect(out.filter((e) => e.type === 'protocol-violation')).toMatchObject([{ link: 1, code: 'RSPY_DECODER_BUG', message: 'decoder failed: boom' }]);
    expect(out.filter((e) => e.type === 'command')).toEqual([]);
    expect(out.filter((e) => e.type === 'replica-command').map((e) => e.link)).toEqual([1, 2]);
    expect(out.at(-1)).toMatchObject({ type: 'link-close', link: 1 });
  });

  it('a subscriber that throws is dropped and reported once; the others keep receiving', () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const p = createPipeline({ onSubscriberError: (err) => errors.push(err) });
    p.subscribe(() => {
      throw new Error('bad output');
    });
    p.subscribe((e) => seen.push(e.type));
    p.wire(bytes(1, 'replica', '*1\r\n$4\r\nPING\r\n'));
    p.wire(bytes(1, 'master', '+PONG\r\n'));
    expect(errors).toHaveLength(1);
    expect(seen).toEqual(['replica-command', 'master-reply']);
  });
});
