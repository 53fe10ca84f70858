// The framer with bytes missing (gaps) and with a sink that takes arguments part by part, under every chunking of
// the bytes after the gap: payload bytes in a gap are payload, anywhere else framing resumes at the next command.
import { describe, expect, it } from 'vitest';
import { RespFramer, type Grammar, type SegmentSink } from '../../../src/resp/framer.js';
import { chunkings } from '../../helpers/chunkings.js';
import { resp } from '../../helpers/decode-case.js';
import { frameEveryChunking } from '../../helpers/segments.js';

const MARK = '0123456789abcdef0123456789abcdef01234567';

/** Frames `before`, a gap of `gap` bytes, then `after` (every chunking of it); all runs give the same log. */
function withGap(grammar: Grammar, before: string, gap: number, after: string): string[] {
  const run = (chunks: Buffer[]): string[] => {
    const log: string[] = [];
    const sink: SegmentSink = {
      command: (argv, start, end) => log.push(`command ${start}-${end} ${argv.join(' ')}`),
      reply: (head, start, end) => log.push(`reply ${start}-${end} ${head}`),
      rdbStart: (size, mark, start, bodyStart) => log.push(`rdb-start ${start}-${bodyStart} ${size ?? mark}`),
      rdbBody: (part, pos) => log.push(`body ${pos} ${part.toString('latin1')}`),
      rdbEnd: (bodyEnd, end) => log.push(`rdb-end ${bodyEnd}-${end}`),
      resync: (start, end, skipped) => log.push(`resync ${start}-${end} skipped ${skipped}`),
      error: (e) => log.push(`error ${e.code} ${e.pos}`),
    };
    const framer = new RespFramer(grammar, sink);
    framer.feed(Buffer.from(before, 'latin1'));
    log.push(`gap lost framing: ${framer.gap(gap)}`);
    for (const c of chunks) framer.feed(c);
    log.push(`pos ${framer.pos}`);
    return log;
  };
  // payload parts depend on the chunking: adjacent ones are joined
  const joinBodies = (log: string[]): string[] => {
    const out: string[] = [];
    for (const l of log) {
      const prev = out.at(-1);
      if (l.startsWith('body ') && prev?.startsWith('body ')) {
        const [, pos, text] = /^body (\d+) (.*)$/s.exec(prev)!;
        const [, nextPos, more] = /^body (\d+) (.*)$/s.exec(l)!;
        expect(Number(nextPos)).toBe(Number(pos) + text.length);
        out[out.length - 1] = `body ${pos} ${text}${more}`;
      } else out.push(l);
    }
    return out;
  };
  const bytes = Buffer.from(after, 'latin1');
  const whole = joinBodies(run([bytes]));
  for (const { name, chunks } of chunkings(bytes, 10)) expect(joinBodies(run(chunks)), name).toEqual(whole);
  return whole;
}

describe('RespFramer.gap', () => {
  const head = `+FULLRESYNC ${'f'.repeat(40)} 0\r\n`;

  it('inside a sized payload: its bytes, and the payload still ends where its size says', () => {
    const line = `${head}$10\r\n`;
    expect(withGap('replication', line + 'ab', 5, 'cde' + resp('PING'))).toEqual([
      `reply 0-${head.length} ${head.trim()}`,
      `rdb-start ${head.length}-${line.length} 10`,
      `body ${line.length} ab`,
      'gap lost framing: false',
      `body ${line.length + 7} cde`,
      `rdb-end ${line.length + 10}-${line.length + 10}`,
      `command ${line.length + 10}-${line.length + 24} PING`,
      `pos ${line.length + 24}`,
    ]);
  });

  it('from a sized payload on into the stream: the payload ends in the gap, framing resumes at the next command', () => {
    const line = `$4\r\n`;
    const set = resp('SET', 'a', '1');
    expect(withGap('replication', line + 'ab', 2 + 5, set.slice(5) + resp('PING'))).toEqual([
      `rdb-start 0-4 4`,
      `body 4 ab`,
      `rdb-end 8-8`,
      'gap lost framing: true',
      `resync ${8 + set.length}-${8 + set.length + 14} skipped ${set.length - 5}`,
      `command ${8 + set.length}-${8 + set.length + 14} PING`,
      `pos ${8 + set.length + 14}`,
    ]);
  });

  it('inside an EOF-marked payload: the bytes held back as a possible mark are payload, the mark after the gap ends it', () => {
    const line = `$EOF:${MARK}\r\n`;
    const tail = MARK.slice(0, 30); // held back: it may be the start of the mark
    const log = withGap('replication', line + tail, 100, 'xyz' + MARK + resp('PING'));
    const body = line.length;
    expect(log).toEqual([
      `rdb-start 0-${body} ${MARK}`,
      `body ${body} ${tail}`,
      'gap lost framing: false',
      `body ${body + 130} xyz`,
      `rdb-end ${body + 133}-${body + 173}`,
      `command ${body + 173}-${body + 187} PING`,
      `pos ${body + 187}`,
    ]);
  });

  it('at a segment boundary of a command stream: the next command header is looked for even so', () => {
    const fake = '*3\r\n$3\r\nSET\r\nxx'; // a plausible header, then 'x' where '$' must come
    const a = resp('SET', 'a', '1');
    expect(withGap('requests', a, 3, 'junk' + fake + resp('PING'))).toEqual([
      `command 0-${a.length} SET a 1`,
      'gap lost framing: true',
      `resync ${a.length + 3 + 4 + fake.length}-${a.length + 3 + 4 + fake.length + 14} skipped ${4 + fake.length}`,
      `command ${a.length + 3 + 4 + fake.length}-${a.length + 3 + 4 + fake.length + 14} PING`,
      `pos ${a.length + 3 + 4 + fake.length + 14}`,
    ]);
  });

  it('after an error the gap is only counted', () => {
    expect(withGap('requests', '*2\r\n:1', 3, resp('PING'))).toEqual(['error RSPY_DECODE_BAD_TYPE_BYTE 4', 'gap lost framing: false', 'pos 23']);
  });

  it('resync() drops a payload in progress: framing resumes at the next command', () => {
    for (const { name, chunks } of chunkings(Buffer.from('abc' + resp('PING')))) {
      const log: string[] = [];
      const framer = new RespFramer('replication', {
        command: (argv, start) => log.push(`command ${start} ${argv.join(' ')}`),
        rdbEnd: () => log.push('rdb-end'),
        resync: (start, _end, skipped) => log.push(`resync ${start} ${skipped}`),
        error: (e) => log.push(e.code),
      });
      framer.feed(Buffer.from(`$EOF:${MARK}\r\nREDIS`));
      framer.resync();
      for (const c of chunks) framer.feed(c);
      expect(log, name).toEqual(['resync 55 3', 'command 55 PING']);
    }
  });
});

describe('RespFramer: an error just after a payload', () => {
  it("shows the payload's last bytes in its excerpt whatever the chunking", () => {
    const body = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const { segments } = frameEveryChunking('replication', `$${body.length}\r\n${body}*2\r\n:1\r\n`);
    expect(segments.at(-1)).toMatchObject({ kind: 'error', code: 'RSPY_DECODE_BAD_TYPE_BYTE', excerpt: (body + '*2\r\n:').slice(-16) });
  });
});

describe('RespFramer: arguments part by part', () => {
  it.each([false, true])('every part with its position, argument index, count, bytes still to come and header (argumentsOnly %s)', (argumentsOnly) => {
    const input = resp('AUTH', 'user', 'pw') + resp('SET', '', 'v');
    for (const { name, chunks } of chunkings(Buffer.from(input))) {
      const args = new Map<string, string>();
      const starts = new Set<number>();
      const framer = new RespFramer('requests', {
        argument: (part, at, index, argc, remaining, header) => {
          const key = `${index}/${argc}@${header}`;
          const before = args.get(key) ?? '';
          expect(at, name).toBe(header + input.slice(header).indexOf('\r\n') + 2 + before.length);
          args.set(key, before + part.toString() + (remaining === 0 ? '|' : ''));
        },
        error: (e) => {
          throw new Error(`${e.code} at ${e.pos}`);
        },
      }, { argumentsOnly });
      for (const c of chunks) {
        framer.feed(c);
        const open = framer.openArgument;
        if (open !== null) starts.add(open);
      }
      const set = resp('AUTH', 'user', 'pw').length;
      expect([...args], name).toEqual([
        ['0/3@4', 'AUTH|'],
        ['1/3@14', 'user|'],
        ['2/3@24', 'pw|'],
        [`0/3@${set + 4}`, 'SET|'],
        [`1/3@${set + 13}`, '|'],
        [`2/3@${set + 19}`, 'v|'],
      ]);
      for (const s of starts) expect(input[s], name).toBe('$');
    }
  });
});
