// The pipeline isolates failures: a decoder bug stops decoding that link only, a throwing subscriber is dropped.
// Facts of one link reach the decoder of another as inputs (Redis 8 rdb channel), and the resync reasons come on
// a copy of the decoded event.
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { createPipeline } from '../../../src/decode/pipeline.js';
import { resp } from '../../helpers/decode-case.js';

const bytes = (link: number, from: 'master' | 'replica', s: string) => ({ kind: 'bytes' as const, link, at: 1, from, chunk: Buffer.from(s) });

describe('pipeline', () => {
  it('a decoder that throws reports RSPY_DECODER_BUG once, decodes nothing more on that link, and still reports its close', () => {
    const out: ReplEvent[] = [];
    const p = createPipeline({ rdbSink: () => ({ feed: () => { throw new Error('boom'); }, end: () => {} }) });
    p.subscribe((e) => out.push(e));
    p.wire(bytes(1, 'replica', '*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n'));
    p.wire(bytes(1, 'master', `+FULLRESYNC ${'a'.repeat(40)} 0\r\n$3\r\nabc`));
    p.wire(bytes(1, 'master', '*1\r\n$4\r\nping\r\n'));
    p.wire(bytes(2, 'replica', '*1\r\n$4\r\nSYNC\r\n')); // another link is unaffected
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
    p.wire(bytes(1, 'replica', '*1\r\n$4\r\nSYNC\r\n'));
    p.wire(bytes(1, 'master', '+OK\r\n'));
    expect(errors).toHaveLength(1);
    expect(seen).toEqual(['replica-command', 'master-reply']);
  });

  const REPLID = 'b'.repeat(40);
  const RDB = Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0xff]), Buffer.alloc(8)]);

  /** Redis 8: link 1 is the main channel (+RDBCHANNELSYNC 7), link 2 its RDB channel (main-ch-client-id 7). */
  function rdbChannel(rdbFirst: boolean): ReplEvent[] {
    const out: ReplEvent[] = [];
    const p = createPipeline();
    p.subscribe((e) => out.push(e.type === 'command' ? { ...e, argv: e.argv.map((a) => Buffer.from(a)) } : e));
    const rdbLink = () => {
      p.wire({ ...bytes(2, 'replica', resp('REPLCONF', 'main-ch-client-id', '7') + resp('PSYNC', '?', '-1')), at: 1 });
      p.wire({ ...bytes(2, 'master', `+FULLRESYNC ${REPLID} 500\r\n$${RDB.length}\r\n`), at: 2 });
    };
    if (rdbFirst) rdbLink();
    p.wire({ ...bytes(1, 'replica', resp('PSYNC', '?', '-1')), at: 3 });
    p.wire({ ...bytes(1, 'master', '+RDBCHANNELSYNC 7\r\n' + resp('SET', 'a', '1')), at: 4 });
    if (!rdbFirst) rdbLink();
    p.wire({ kind: 'bytes', link: 2, at: 10, from: 'master', chunk: RDB });
    p.wire({ ...bytes(1, 'master', resp('SET', 'b', '2')), at: 11 });
    p.wire({ ...bytes(1, 'replica', resp('REPLCONF', 'ACK', String(500 + 2 * resp('SET', 'a', '1').length))), at: 60 });
    return out;
  }

  it("Redis 8 rdb channel: the main channel's offsets come from its RDB channel's +FULLRESYNC, its first ACK after that RDB has the load time", () => {
    for (const rdbFirst of [true, false]) {
      const out = rdbChannel(rdbFirst);
      const set = resp('SET', 'a', '1').length;
      expect(out.filter((e) => e.type === 'command').map((e) => [e.link, e.offset, e.pos])).toEqual([
        [1, 500 + set, '+RDBCHANNELSYNC 7\r\n'.length],
        [1, 500 + 2 * set, '+RDBCHANNELSYNC 7\r\n'.length + set],
      ]);
      expect(out.filter((e) => e.type === 'link-pair')).toMatchObject([{ mainLink: 1, rdbLink: 2, flavor: 'redis-rdb-channel' }]);
      expect(out.filter((e) => e.type === 'ack')).toMatchObject([{ link: 1, lagBytes: 0, loadMs: 50 }]);
    }
  });

  it('a PSYNC answer is published with its reason and its byte range', () => {
    const p = createPipeline();
    const seen: ReplEvent[] = [];
    p.subscribe((e) => seen.push(e));
    p.wire({ kind: 'open', link: 1, at: 0, replica: '127.0.0.1:40001', master: '127.0.0.1:6379' });
    p.wire(bytes(1, 'replica', resp('PSYNC', '?', '-1')));
    p.wire(bytes(1, 'master', `+FULLRESYNC ${REPLID} 0\r\n`));
    expect(seen.find((e) => e.type === 'fullresync')).toMatchObject({ reasonCode: 'first-sync', pos: 0, end: 56 });
  });
});
