// Decoding after lost framing: bytes missing from a packet capture (a gap) outside an RDB body, or a capture that
// joined a connection mid-stream. Decoding resumes at the next command and says so (a `resync` event); the
// offsets stay exact when the gap lies in the command stream, and after a mid-stream join they come from the
// replica's first ACK at an idle moment. Every case runs under every chunking of every step.
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { matchCommandStart, MAX_COMMAND_START_BYTES } from '../../../src/resp/command-start.js';
import { RespFramer } from '../../../src/resp/framer.js';
import { LinkDecoder } from '../../../src/decode/link-decoder.js';
import { ANCHOR_QUIET_MS } from '../../../src/decode/master-stream.js';
import { chunkings } from '../../helpers/chunkings.js';
import { decodeEveryChunking, gapStep, resp, type Step } from '../../helpers/decode-case.js';

const REPLID = '8b1e' + 'a'.repeat(36);

function only<T extends ReplEvent['type']>(events: ReplEvent[], type: T): Extract<ReplEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ReplEvent, { type: T }> => e.type === type);
}
function commands(events: ReplEvent[]): [number, string][] {
  return only(events, 'command').map((e) => [e.offset, e.argv.map((a) => a.toString('latin1')).join(' ')]);
}
const len = (s: string) => Buffer.byteLength(s, 'latin1');

const A = resp('SET', 'a', '1');
const B = resp('SET', 'bee', 'x'.repeat(40));
const C = resp('HSET', 'h', 'field', 'value');
const D = resp('DEL', 'a');
const CONTINUE_AT = 1001; // PSYNC <replid> 1001: the first stream byte has offset 1001
const continued: Step[] = [
  { from: 'replica', bytes: resp('PSYNC', REPLID, String(CONTINUE_AT)) },
  { from: 'master', bytes: '+CONTINUE\r\n' },
];
const streamStart = len('+CONTINUE\r\n');
const offsetAfter = (...parts: string[]) => CONTINUE_AT - 1 + parts.reduce((n, p) => n + len(p), 0);

describe('matchCommandStart', () => {
  it('takes a command header, refuses what is not one, asks for more only when the bytes end inside it', () => {
    const m = matchCommandStart(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\na'), 0);
    expect(m).toEqual({ name: 'SET', argc: 3, next: 13 });
    expect(matchCommandStart(Buffer.from('*1\r\n$9\r\nFT.SEARCH\r\n'), 0)).toMatchObject({ name: 'FT.SEARCH' });
    for (const no of ['*0\r\n', '*-1\r\n', '*01\r\n$3\r\nSET\r\n', '*1\r\n$0\r\n\r\n', '*1\r\n$3\r\n1ET\r\n', '*1\r\n$3\r\nS T\r\n', '*1\r\n:3\r\n', '*12345678\r\n', '*1\r\n$33\r\n', '*1\r\n$3\r\nSET\n', '+OK\r\n']) {
      expect(matchCommandStart(Buffer.from(no, 'latin1'), 0), JSON.stringify(no)).toBe('no');
    }
    const whole = '*2\r\n$6\r\nSELECT\r\n';
    for (let cut = 0; cut < whole.length; cut++) expect(matchCommandStart(Buffer.from(whole.slice(0, cut)), 0), `cut at ${cut}`).toBe('more');
    const longest = `*1234567\r\n$32\r\n${'N'.repeat(32)}\r\n`;
    expect(longest.length).toBe(MAX_COMMAND_START_BYTES);
    expect(matchCommandStart(Buffer.from(longest), 0)).toMatchObject({ argc: 1234567 });
  });
});

describe('the framer after lost framing', () => {
  // stray bytes, a '*' that is no header, a header cut by a bad byte, then two commands
  const input = Buffer.from('ab*x\r\n**3\r\n$3\r\nSE?\r\n' + '*3\r\n$3\r\nSET\r\n$1\r\nk\r\nv\r\n' + '*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n' + resp('PING'), 'latin1');
  const at = input.indexOf('*2\r\n$4\r\nECHO');

  it('resumes at the first header that proves a whole command, wherever the chunks end, and counts what it passed over', () => {
    for (const { name, chunks } of chunkings(input)) {
      const seen: string[] = [];
      const framer = new RespFramer('requests', {
        resync: (start, end, skipped) => seen.push(`resync ${start} ${end} ${skipped}`),
        command: (argv, start) => seen.push(`${start} ${argv.join(' ')}`),
        error: (e) => seen.push(e.code),
      });
      expect(framer.gap(5), name).toBe(true);
      expect(framer.hunting, name).toBe(true);
      for (const c of chunks) framer.feed(c);
      const echo = 5 + at;
      expect(seen, name).toEqual([`resync ${echo} ${echo + len('*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n')} ${at}`, `${echo} ECHO hi`, `${echo + 22} PING`]);
      expect(framer.hunting, name).toBe(false);
    }
  });
});

describe('master stream: a gap in the command stream', () => {
  it('resumes at the next command with exact offsets, skipping the rest of the command the gap cut', () => {
    const events = decodeEveryChunking([
      ...continued,
      { from: 'master', bytes: A + B.slice(0, 10) },
      gapStep('master', len(B) - 10 + 3),
      { from: 'master', bytes: C.slice(3) + D },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', String(offsetAfter(A, B, C, D))) },
    ]);
    expect(commands(events)).toEqual([
      [offsetAfter(A), 'SET a 1'],
      [offsetAfter(A, B, C, D), 'DEL a'],
    ]);
    expect(only(events, 'gap')).toMatchObject([{ from: 'master', bytes: len(B) - 10 + 3 }]);
    expect(only(events, 'resync')).toMatchObject([{ from: 'master', pos: streamStart + len(A + B + C), skipped: len(C) - 3 }]);
    expect(only(events, 'ack')).toMatchObject([{ lagBytes: 0 }]);
    expect(only(events, 'protocol-violation')).toEqual([]);
    // the resync is said before the command it resumed at
    expect(events.findIndex((e) => e.type === 'resync')).toBeLessThan(events.findIndex((e) => e.type === 'command' && e.argv[0]?.toString() === 'DEL'));
  });

  it('a gap that ends at a command boundary skips nothing', () => {
    const events = decodeEveryChunking([...continued, { from: 'master', bytes: A }, gapStep('master', len(B)), { from: 'master', bytes: C + D }]);
    expect(commands(events)).toEqual([
      [offsetAfter(A), 'SET a 1'],
      [offsetAfter(A, B, C), 'HSET h field value'],
      [offsetAfter(A, B, C, D), 'DEL a'],
    ]);
    expect(only(events, 'resync')).toMatchObject([{ pos: streamStart + len(A + B), skipped: 0 }]);
  });

  it('a header that turns out not to be a command is passed over, with no violation', () => {
    const fake = '*3\r\n$3\r\nSET\r\nxx'; // a plausible header, then 'x' where '$' must come
    const events = decodeEveryChunking([...continued, { from: 'master', bytes: A }, gapStep('master', 7), { from: 'master', bytes: 'junk' + fake + C + D }]);
    expect(commands(events).map((c) => c[1])).toEqual(['SET a 1', 'HSET h field value', 'DEL a']);
    expect(only(events, 'resync')).toMatchObject([{ pos: streamStart + len(A) + 7 + len('junk' + fake), skipped: len('junk' + fake) }]);
    expect(only(events, 'protocol-violation')).toEqual([]);
    expect(commands(events)[2]![0]).toBe(offsetAfter(A, 'x'.repeat(7), 'junk', fake, C, D));
  });

  it('two gaps before decoding resumed count as one resync', () => {
    const events = decodeEveryChunking([...continued, { from: 'master', bytes: A + 'ab' }, gapStep('master', 5), { from: 'master', bytes: 'cd*2' }, gapStep('master', 5), { from: 'master', bytes: D }]);
    expect(commands(events)).toEqual([[offsetAfter(A), 'SET a 1'], [offsetAfter(A, 'ab', 'x'.repeat(5), 'cd*2', 'x'.repeat(5), D), 'DEL a']]);
    expect(only(events, 'resync')).toMatchObject([{ skipped: len('cd*2') }]); // 'ab' came before the first gap
  });

  it('bad bytes once decoding resumed are a violation as before', () => {
    const events = decodeEveryChunking([...continued, gapStep('master', 3), { from: 'master', bytes: A + '*2\r\n:5\r\n' + D }]);
    expect(commands(events).map((c) => c[1])).toEqual(['SET a 1']);
    expect(only(events, 'protocol-violation')).toMatchObject([{ code: 'RSPY_DECODE_BAD_TYPE_BYTE', pos: streamStart + 3 + len(A) + 4 }]);
  });

  it('after a violation a gap does not restart decoding', () => {
    const events = decodeEveryChunking([...continued, { from: 'master', bytes: A + '*2\r\n:5\r\n' }, gapStep('master', 3), { from: 'master', bytes: D }]);
    expect(commands(events).map((c) => c[1])).toEqual(['SET a 1']);
    expect(only(events, 'resync')).toEqual([]);
    expect(only(events, 'protocol-violation')).toHaveLength(1);
  });
});

describe('master stream: a gap around the RDB', () => {
  const RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
  const fullSync: Step[] = [
    { from: 'replica', bytes: resp('PSYNC', '?', '-1') },
    { from: 'master', bytes: `+FULLRESYNC ${REPLID} 500\r\n$${RDB.length}\r\n` },
  ];

  it('a gap from inside a sized RDB into the stream: the RDB ends in it, the stream offsets stay exact', () => {
    const events = decodeEveryChunking([
      ...fullSync,
      { from: 'master', bytes: RDB.subarray(0, 4) },
      gapStep('master', RDB.length - 4 + 5),
      { from: 'master', bytes: A.slice(5) + B + C },
    ]);
    expect(only(events, 'rdb-end')).toMatchObject([{ bytes: RDB.length }]);
    expect(commands(events)).toEqual([
      [500 + len(A + B), 'SET bee ' + 'x'.repeat(40)],
      [500 + len(A + B + C), 'HSET h field value'],
    ]);
    expect(only(events, 'resync')).toMatchObject([{ skipped: len(A) - 5 }]);
  });

  it('a gap over the `$` line: decoding resumes at a command; the offsets wait for a replica ACK', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', '?', '-1') },
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 500\r\n`, at: 10 },
      gapStep('master', 4 + RDB.length, 20),
      { from: 'master', bytes: A + B, at: 30 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', String(500 + len(A + B))), at: 30 + ANCHOR_QUIET_MS },
    ]);
    expect(commands(events)).toEqual([
      [500 + len(A), 'SET a 1'],
      [500 + len(A + B), 'SET bee ' + 'x'.repeat(40)],
    ]);
    expect(only(events, 'resync')).toMatchObject([{ pos: len(`+FULLRESYNC ${REPLID} 500\r\n`) + 4 + RDB.length, skipped: 0 }]);
  });
});

describe('master stream: the end of a diskless RDB lost in a gap', () => {
  const MARK = '3a9f' + '0'.repeat(36);

  it("the replica's first ACK (it ACKs once loaded) ends the RDB; decoding resumes at the next command", () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', '?', '-1') },
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 500\r\n$EOF:${MARK}\r\nREDIS0010`, at: 10 },
      gapStep('master', 100 + 40 + 5, 20), // the rest of the RDB, the mark, the start of A
      { from: 'master', bytes: A.slice(5) + B, at: 30 }, // taken for RDB bytes: the mark is still looked for
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', String(500 + len(A + B))), at: 1000 },
      { from: 'master', bytes: C, at: 2000 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', String(500 + len(A + B + C))), at: 2000 + ANCHOR_QUIET_MS },
    ]);
    expect(only(events, 'rdb-end')).toMatchObject([{ at: 1000, bytes: len('REDIS0010') + 145 }]);
    expect(commands(events)).toEqual([[500 + len(A + B + C), 'HSET h field value']]);
    expect(only(events, 'resync')).toMatchObject([{ from: 'master', skipped: 0 }]);
    expect(only(events, 'protocol-violation')).toEqual([]);
  });

  it('a mark that comes after the gap still ends the RDB where it is', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', '?', '-1') },
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 500\r\n$EOF:${MARK}\r\nREDIS`, at: 10 },
      gapStep('master', 100, 20),
      { from: 'master', bytes: 'tail' + MARK + A, at: 30 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', String(500 + len(A))), at: 1000 },
    ]);
    expect(only(events, 'rdb-end')).toMatchObject([{ at: 30, bytes: 5 + 100 + 4 }]);
    expect(commands(events)).toEqual([[500 + len(A), 'SET a 1']]);
    expect(only(events, 'resync')).toEqual([]);
  });
});

describe('a capture that joined the connection mid-stream', () => {
  const joined = (at = 0): Step => gapStep('master', 0, at, 'capture started mid-connection');
  const replicaJoined = (at = 0): Step => gapStep('replica', 0, at, 'capture started mid-connection');

  it('decoding resumes at the first whole command; the replica ACK of an idle moment gives the offsets', () => {
    const ack = 77_000;
    const events = decodeEveryChunking([
      joined(),
      replicaJoined(),
      { from: 'master', bytes: 'lue\r\n' + A + B, at: 1000 },
      { from: 'replica', bytes: 'K\r\n$2\r\n10\r\n', at: 1001 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', String(ack)), at: 1000 + ANCHOR_QUIET_MS },
      { from: 'master', bytes: C, at: 2000 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', String(ack + len(C))), at: 2000 + ANCHOR_QUIET_MS },
    ]);
    expect(commands(events)).toEqual([
      [ack - len(B), 'SET a 1'],
      [ack, 'SET bee ' + 'x'.repeat(40)],
      [ack + len(C), 'HSET h field value'],
    ]);
    expect(only(events, 'resync')).toMatchObject([
      { from: 'master', pos: len('lue\r\n'), skipped: len('lue\r\n') },
      { from: 'replica', pos: len('K\r\n$2\r\n10\r\n'), skipped: len('K\r\n$2\r\n10\r\n') },
    ]);
    expect(only(events, 'ack')).toMatchObject([
      { offset: ack, lagBytes: 0 },
      { offset: ack + len(C), lagBytes: 0 },
    ]);
    // the held commands come out at the ACK that anchored them, each with its own time
    const held = only(events, 'command').slice(0, 2);
    expect(held.map((c) => c.at)).toEqual([1000, 1000]);
    expect(events.findIndex((e) => e.type === 'command')).toBeGreaterThan(events.findIndex((e) => e.type === 'resync' && e.from === 'replica'));
  });

  it('an ACK while the master is still sending does not anchor (the replica may not have applied it all)', () => {
    const events = decodeEveryChunking([
      joined(),
      { from: 'master', bytes: A, at: 1000 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '1'), at: 1000 + ANCHOR_QUIET_MS - 1 },
      { from: 'master', bytes: B, at: 1500 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '5000'), at: 1500 + ANCHOR_QUIET_MS },
    ]);
    expect(commands(events)).toEqual([
      [5000 - len(B), 'SET a 1'],
      [5000, 'SET bee ' + 'x'.repeat(40)],
    ]);
    expect(only(events, 'ack')).toMatchObject([{ offset: 1, lagBytes: 0 }, { offset: 5000, lagBytes: 0 }]);
  });

  it('an ACK in the middle of a command does not anchor', () => {
    const events = decodeEveryChunking([
      joined(),
      { from: 'master', bytes: A + B.slice(0, 9), at: 1000 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '1'), at: 2000 },
      { from: 'master', bytes: B.slice(9), at: 3000 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '9000'), at: 4000 },
    ]);
    expect(commands(events)).toEqual([
      [9000 - len(B), 'SET a 1'],
      [9000, 'SET bee ' + 'x'.repeat(40)],
    ]);
  });

  it('with no anchoring ACK, the held commands come out when the link closes, counted from where decoding resumed', () => {
    for (const { name, chunks } of chunkings(Buffer.from('lue\r\n' + A + B))) {
      const out: ReplEvent[] = [];
      const d = new LinkDecoder(1, (e) => out.push(e));
      d.feed({ kind: 'gap', link: 1, at: 0, from: 'master', bytes: 0, reason: 'capture started mid-connection' });
      for (const chunk of chunks) d.feed({ kind: 'bytes', link: 1, at: 1, from: 'master', chunk });
      expect(commands(out), name).toEqual([]);
      d.feed({ kind: 'close', link: 1, at: 2, by: 'master', reason: 'end of capture' });
      expect(commands(out), name).toEqual([
        [len(A), 'SET a 1'],
        [len(A + B), 'SET bee ' + 'x'.repeat(40)],
      ]);
      expect(out.at(-1)?.type, name).toBe('link-close');
    }
  });
});

describe('replica stream: gaps', () => {
  it('an ACK cut by a gap is skipped; the next one decodes', () => {
    const ack = (n: number) => resp('REPLCONF', 'ACK', String(n));
    const events = decodeEveryChunking([
      ...continued,
      { from: 'master', bytes: A },
      { from: 'replica', bytes: ack(1005).slice(0, 12) },
      gapStep('replica', 20),
      { from: 'replica', bytes: ack(1005).slice(32) + ack(offsetAfter(A)) },
    ]);
    expect(only(events, 'ack')).toMatchObject([{ offset: offsetAfter(A), lagBytes: 0 }]);
    const start = len(resp('PSYNC', REPLID, String(CONTINUE_AT)));
    expect(only(events, 'resync')).toMatchObject([{ from: 'replica', pos: start + len(ack(1005)), skipped: len(ack(1005)) - 32 }]);
    expect(only(events, 'protocol-violation')).toEqual([]);
  });
});
