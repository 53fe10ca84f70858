// Properties of the decoder over generated inputs: arbitrary bytes never throw, any partition of a valid stream
// gives the same events, offsets add up to the bytes fed, and the framer agrees with redis-parser on pure RESP.
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { LinkDecoder } from '../../../src/decode/link-decoder.js';
import { RespFramer } from '../../../src/resp/framer.js';

const RedisParser = createRequire(import.meta.url)('redis-parser') as new (o: {
  returnReply(r: unknown): void;
  returnError(e: unknown): void;
  returnBuffers?: boolean;
}) => { execute(b: Buffer): void };

const argArb = fc.uint8Array({ minLength: 0, maxLength: 40 }).map((a) => Buffer.from(a));
const commandArb = fc.array(argArb, { minLength: 1, maxLength: 6 });

function encode(argv: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from(`*${argv.length}\r\n`), ...argv.flatMap((a) => [Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n')])]);
}

function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out.filter((b) => b.length > 0);
}

function decodeStream(chunks: Buffer[]): ReplEvent[] {
  const out: ReplEvent[] = [];
  const d = new LinkDecoder(1, (e) => out.push(e.type === 'command' ? { ...e, argv: e.argv.map((a) => Buffer.from(a)) } : e));
  d.feed({ kind: 'bytes', link: 1, at: 0, from: 'replica', chunk: Buffer.from('*3\r\n$5\r\nPSYNC\r\n$40\r\n' + 'a'.repeat(40) + '\r\n$1\r\n1\r\n') });
  d.feed({ kind: 'bytes', link: 1, at: 0, from: 'master', chunk: Buffer.from('+CONTINUE\r\n') });
  for (const c of chunks) d.feed({ kind: 'bytes', link: 1, at: 1, from: 'master', chunk: c });
  return out;
}

describe('decoder properties', () => {
  it('arbitrary bytes in either direction never throw, and at most one violation per direction', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 64 })), { maxLength: 30 }), (parts) => {
        const out: ReplEvent[] = [];
        const d = new LinkDecoder(1, (e) => out.push(e));
        for (const [fromMaster, bytes] of parts) d.feed({ kind: 'bytes', link: 1, at: 0, from: fromMaster ? 'master' : 'replica', chunk: Buffer.from(bytes) });
        const violations = out.filter((e) => e.type === 'protocol-violation');
        expect(violations.filter((e) => e.type === 'protocol-violation' && e.from === 'master').length).toBeLessThanOrEqual(1);
        expect(violations.filter((e) => e.type === 'protocol-violation' && e.from === 'replica').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it('any partition of a valid command stream gives the same commands, and the last offset counts every byte', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 20 }), (commands, cuts) => {
        const stream = Buffer.concat(commands.map(encode));
        const whole = decodeStream([stream]);
        const parted = decodeStream(split(stream, cuts));
        const view = (es: ReplEvent[]) => es.flatMap((e) => (e.type === 'command' ? [[e.offset, e.argv.map((a) => a.toString('hex'))]] : []));
        expect(view(parted)).toEqual(view(whole));
        const cmds = whole.filter((e) => e.type === 'command');
        expect(cmds).toHaveLength(commands.length);
        const last = cmds[cmds.length - 1];
        expect(last.type === 'command' && last.offset).toBe(stream.length);
      }),
      { numRuns: 300 },
    );
  });

  it('the framer agrees with redis-parser on pure RESP arrays', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (commands, cuts) => {
        const stream = Buffer.concat(commands.map(encode));
        const ours: string[] = [];
        const framer = new RespFramer('replication', {
          command: (argv) => ours.push(JSON.stringify(argv.map((a) => a.toString('hex')))),
          inline: () => ours.push('inline'),
          error: (e) => ours.push(e.code),
        });
        for (const c of split(stream, cuts)) framer.feed(c);
        const theirs: string[] = [];
        const parser = new RedisParser({
          returnBuffers: true,
          returnReply: (r) => theirs.push(JSON.stringify((r as Buffer[]).map((a) => a.toString('hex')))),
          returnError: (e) => theirs.push(String(e)),
        });
        parser.execute(stream);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 300 },
    );
  });
});
