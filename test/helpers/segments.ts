// Runs bytes through a RespFramer and records its segments as plain values (buffers copied as latin1 text), so
// runs under different chunkings can be compared; checks on the way that positions add up.
import { expect } from 'vitest';
import { RespFramer, type FramerOptions, type Grammar } from '../../src/resp/framer.js';
import { chunkings, sampledChunkings } from './chunkings.js';

export type Segment =
  | { kind: 'command'; start: number; end: number; argv: string[]; argBytes?: number[] }
  | { kind: 'reply'; start: number; end: number; head: string }
  | { kind: 'inline'; start: number; end: number; line: string }
  | { kind: 'keepalive'; start: number; end: number }
  | { kind: 'rdb'; start: number; end: number; size: number | null; mark: string | null; bodyStart: number; bodyEnd: number; body: string }
  | { kind: 'error'; code: string; pos: number; expected: string; excerpt: string };

export interface Framed {
  segments: Segment[];
  /** an RDB payload still in progress when the input ended: its start and the body bytes seen */
  openRdb: { start: number; body: string } | null;
  /** framer.end(): where the incomplete last segment started, or null */
  cut: number | null;
  pos: number;
}

/** Frames the chunks; every position handed out is checked against the bytes fed so far. */
export function frame(grammar: Grammar, chunks: Buffer[], opts?: FramerOptions): Framed {
  const segments: Segment[] = [];
  let fed = 0;
  let rdb: { start: number; size: number | null; mark: string | null; bodyStart: number; body: string[]; next: number } | null = null;
  const seen = (end: number): void => {
    if (end > fed) throw new Error(`a segment ends at ${end}, beyond the ${fed} bytes fed`);
  };
  const framer = new RespFramer(
    grammar,
    {
      command: (argv, start, end, argBytes) => {
        seen(end);
        segments.push({ kind: 'command', start, end, argv: argv.map((a) => a.toString('latin1')), ...(argBytes ? { argBytes: [...argBytes] } : {}) });
      },
      reply: (head, start, end) => (seen(end), segments.push({ kind: 'reply', start, end, head: head.toString('latin1') })),
      inline: (line, start, end) => (seen(end), segments.push({ kind: 'inline', start, end, line: line.toString('latin1') })),
      keepalive: (start, end) => (seen(end), segments.push({ kind: 'keepalive', start, end })),
      rdbStart: (size, mark, start, bodyStart) => {
        seen(bodyStart);
        rdb = { start, size, mark: mark && mark.toString('latin1'), bodyStart, body: [], next: bodyStart };
      },
      rdbBody: (part, pos) => {
        if (!rdb || pos !== rdb.next) throw new Error(`payload part at ${pos}, expected at ${rdb?.next}`);
        rdb.body.push(part.toString('latin1'));
        rdb.next += part.length;
      },
      rdbEnd: (bodyEnd, end) => {
        seen(end);
        if (!rdb || bodyEnd !== rdb.next) throw new Error(`payload ends at ${bodyEnd}, its parts at ${rdb?.next}`);
        const { start, size, mark, bodyStart, body } = rdb;
        segments.push({ kind: 'rdb', start, end, size, mark, bodyStart, bodyEnd, body: body.join('') });
        rdb = null;
      },
      error: (e) => segments.push({ kind: 'error', code: e.code, pos: e.pos, expected: e.expected, excerpt: e.excerpt.toString('latin1') }),
    },
    opts,
  );
  for (const c of chunks) {
    fed += c.length;
    framer.feed(c);
  }
  const cut = framer.end();
  const open = rdb as { start: number; body: string[] } | null;
  return { segments, openRdb: open && { start: open.start, body: open.body.join('') }, cut, pos: framer.pos };
}

/** Segments tile the input: each starts where the one before ended, from 0 to the end or the error. */
export function expectTiled(f: Framed, total: number): void {
  let at = 0;
  for (const s of f.segments) {
    if (s.kind === 'error') return;
    expect(s.start, `segment ${JSON.stringify(s)}`).toBe(at);
    expect(s.end).toBeGreaterThan(s.start);
    at = s.end;
  }
  expect(f.pos).toBe(total);
  if (f.cut === null) expect(at).toBe(total);
  else expect(f.cut).toBe(at);
}

/** Frames whole, then under every chunking (sampled for large inputs): all give the same result. */
export function frameEveryChunking(grammar: Grammar, input: Buffer | string, opts?: FramerOptions): Framed {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const whole = frame(grammar, [bytes], opts);
  expectTiled(whole, bytes.length);
  const want = JSON.stringify(whole);
  for (const c of bytes.length > 2000 ? sampledChunkings(bytes, 200, 10) : chunkings(bytes, 10)) {
    const got = frame(grammar, c.chunks, opts);
    if (JSON.stringify(got) !== want) expect(got, c.name).toEqual(whole);
  }
  return whole;
}
