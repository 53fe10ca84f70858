// Properties of the framer over generated inputs, in every grammar: any partition of a valid stream gives the same
// segments, arbitrary bytes never throw and give at most one error, segments tile the input (positions monotonic,
// bytes accounted = bytes fed), and it agrees with redis-parser on pure RESP values and commands.
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Grammar } from '../../../src/resp/framer.js';
import { expectTiled, frame } from '../../helpers/segments.js';

const RedisParser = createRequire(import.meta.url)('redis-parser') as new (o: {
  returnReply(r: unknown): void;
  returnError(e: Error): void;
  returnFatalError?(e: Error): void;
  returnBuffers?: boolean;
}) => { execute(b: Buffer): void };

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const text = fc.string({ unit: fc.constantFrom(...'abcxyz019 -:_*$+#'.split('')), maxLength: 20 });
const bulk = (b: Buffer) => Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]);
const command = fc.array(bytes(40), { minLength: 1, maxLength: 6 }).map((argv) => Buffer.concat([Buffer.from(`*${argv.length}\r\n`), ...argv.map(bulk)]));
const line = (prefix: string) => text.map((t) => Buffer.from(`${prefix}${t}\r\n`));
const mark = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 40, maxLength: 40 });

/** RESP2 values as redis-parser knows them. */
const value: fc.Arbitrary<Buffer> = fc.letrec<{ v: Buffer }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    line('+'),
    line('-ERR '),
    fc.maxSafeInteger().map((n) => Buffer.from(`:${n}\r\n`)),
    bytes(30).map(bulk),
    fc.constant(Buffer.from('$-1\r\n')),
    fc.constant(Buffer.from('*-1\r\n')),
    fc.array(tie('v'), { maxLength: 4 }).map((vs) => Buffer.concat([Buffer.from(`*${vs.length}\r\n`), ...vs])),
  ),
})).v;

/** Streams of each grammar: what a replica, an AOF, a master (with one RDB payload) and a server send. */
const streams: Record<Grammar, fc.Arbitrary<Buffer>> = {
  requests: fc.array(fc.oneof(command, line('PING '), fc.constant(Buffer.from('\n'))), { maxLength: 12 }).map((p) => Buffer.concat(p)),
  aof: fc.array(fc.oneof(command, line('#TS:')), { maxLength: 12 }).map((p) => Buffer.concat(p)),
  replication: fc
    .tuple(fc.array(fc.oneof(line('+'), line('-'), fc.constant(Buffer.from('\n'))), { maxLength: 4 }), fc.boolean(), bytes(200), mark, fc.nat(200), fc.array(command, { maxLength: 6 }))
    .map(([lines, eof, body, m, at, commands]) => {
      // an EOF-marked body may hold the mark's first bytes anywhere (but not the whole mark: that would end it)
      const payload = eof ? Buffer.concat([body.subarray(0, at), Buffer.from(m.slice(0, 39)), body.subarray(at)]) : body;
      const ended = Buffer.concat([payload, Buffer.from(m)]);
      if (eof && ended.indexOf(m) !== payload.length) return null;
      const framing = eof ? [Buffer.from(`$EOF:${m}\r\n`), ended] : [Buffer.from(`$${payload.length}\r\n`), payload];
      return Buffer.concat([...lines, ...framing, ...commands]);
    })
    .filter((b) => b !== null)
    .map((b) => b as Buffer),
  replies: fc.array(value, { maxLength: 8 }).map((p) => Buffer.concat(p)),
};
const grammars = Object.keys(streams) as Grammar[];

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  return [...points, buf.length].map((p, k, all) => buf.subarray(k === 0 ? 0 : all[k - 1], p)).filter((b) => b.length > 0);
}

/** redis-parser's replies, in a comparable form. */
function parsed(buf: Buffer): unknown[] {
  const norm = (r: unknown): unknown => (r instanceof Error ? `error ${r.message}` : Buffer.isBuffer(r) ? r.toString('hex') : Array.isArray(r) ? r.map(norm) : r);
  const out: unknown[] = [];
  const parser = new RedisParser({ returnBuffers: true, returnReply: (r) => out.push(norm(r)), returnError: (e) => out.push(norm(e)), returnFatalError: (e) => out.push(`fatal ${e.message}`) });
  parser.execute(buf);
  return out;
}

describe('RespFramer properties', () => {
  for (const grammar of grammars) {
    it(`${grammar}: any partition of a valid stream gives the same segments, tiling all its bytes`, () => {
      fc.assert(
        fc.property(streams[grammar], fc.array(fc.nat(), { maxLength: 20 }), (stream, cuts) => {
          const whole = frame(grammar, [stream]);
          expect(whole.segments.filter((s) => s.kind === 'error')).toEqual([]);
          expectTiled(whole, stream.length);
          expect(whole.cut).toBeNull();
          expect(frame(grammar, split(stream, cuts))).toEqual(whole);
        }),
        { numRuns: 300 },
      );
    });

    it(`${grammar}: arbitrary bytes never throw, give at most one error and nothing after it, and are all counted`, () => {
      fc.assert(
        fc.property(fc.array(bytes(64), { maxLength: 20 }), (chunks) => {
          const f = frame(grammar, chunks);
          const errors = f.segments.filter((s) => s.kind === 'error');
          expect(errors.length).toBeLessThanOrEqual(1);
          if (errors.length) expect(f.segments.at(-1)).toBe(errors[0]);
          expectTiled(f, chunks.reduce((n, c) => n + c.length, 0));
        }),
        { numRuns: 500 },
      );
    });
  }

  it('agrees with redis-parser on pure RESP values: one segment per reply, each parsing alone to that reply', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (values, cuts) => {
        const stream = Buffer.concat(values);
        const theirs = parsed(stream);
        const ours = frame('replies', split(stream, cuts)).segments;
        expect(ours.length).toBe(theirs.length);
        ours.forEach((s, k) => {
          expect(s.kind).toBe('reply');
          if (s.kind === 'reply') expect(parsed(stream.subarray(s.start, s.end))).toEqual([theirs[k]]);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with redis-parser on commands (arrays of bulk strings)', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (commands, cuts) => {
        const stream = Buffer.concat(commands);
        const ours = frame('requests', split(stream, cuts)).segments.map((s) => (s.kind === 'command' ? s.argv.map((a) => Buffer.from(a, 'latin1').toString('hex')) : s));
        expect(ours).toEqual(parsed(stream));
      }),
      { numRuns: 300 },
    );
  });
});
