// The framer on the byte sequences of protocol.md and the design's facts, each under every chunking: segments,
// their byte ranges, and one error with its position for bad bytes.
import { describe, expect, it } from 'vitest';
import { CUT_ARG_PREFIX_BYTES, PROTO_INLINE_MAX_SIZE, RespFramer } from '../../../src/resp/framer.js';
import { resp } from '../../helpers/decode-case.js';
import { frame, frameEveryChunking, type Segment } from '../../helpers/segments.js';

const replid = 'f'.repeat(40);
const mark = '0123456789abcdef0123456789abcdef01234567';
const rdb = 'REDIS0010\xfa\x09redis-ver\x067.0.15\xff\x01\x02\x03\x04\x05\x06\x07\x08';
const kinds = (s: Segment[]) => s.map((x) => x.kind);

describe('RespFramer: a replica talking to its master (requests)', () => {
  it('handshake commands, an inline SYNC, keepalives and ACKs, each with its byte range', () => {
    const input = resp('PING') + resp('AUTH', 'secret') + resp('REPLCONF', 'capa', 'eof') + 'SYNC\r\n' + '\n' + '\r\n' + resp('REPLCONF', 'ACK', '123');
    const { segments } = frameEveryChunking('requests', input);
    const ping = resp('PING').length;
    const auth = resp('AUTH', 'secret').length;
    expect(segments.slice(0, 2)).toEqual([
      { kind: 'command', start: 0, end: ping, argv: ['PING'] },
      { kind: 'command', start: ping, end: ping + auth, argv: ['AUTH', 'secret'] },
    ]);
    expect(kinds(segments)).toEqual(['command', 'command', 'command', 'inline', 'keepalive', 'keepalive', 'command']);
    expect(segments[3]).toMatchObject({ kind: 'inline', line: 'SYNC' });
    expect(segments[6]).toMatchObject({ argv: ['REPLCONF', 'ACK', '123'], end: input.length });
  });

  it('an empty command and empty arguments', () => {
    expect(frameEveryChunking('requests', '*0\r\n' + resp('SET', '', '')).segments).toEqual([
      { kind: 'command', start: 0, end: 4, argv: [] },
      { kind: 'command', start: 4, end: 4 + resp('SET', '', '').length, argv: ['SET', '', ''] },
    ]);
  });

  it('an argument larger than keepArgBytes keeps its first bytes, and every size is given', () => {
    const big = 'x'.repeat(1000);
    const { segments } = frameEveryChunking('requests', resp('SET', 'k', big) + resp('GET', 'k'), { keepArgBytes: 500 });
    expect(segments[0]).toMatchObject({ argv: ['SET', 'k', big.slice(0, CUT_ARG_PREFIX_BYTES)], argBytes: [3, 1, 1000] });
    expect(segments[1]).toMatchObject({ argv: ['GET', 'k'] });
    expect(segments[1]).not.toHaveProperty('argBytes');
  });

  it('bad bytes: one error at the offending byte, with the bytes before it, then nothing', () => {
    const setA = resp('SET', 'a', '1');
    const { segments } = frameEveryChunking('requests', setA + '*2\r\n:1\r\n' + resp('PING'));
    expect(segments).toEqual([
      { kind: 'command', start: 0, end: setA.length, argv: ['SET', 'a', '1'] },
      { kind: 'error', code: 'RSPY_DECODE_BAD_TYPE_BYTE', pos: setA.length + 4, expected: '"$" (a bulk string)', excerpt: (setA + '*2\r\n:').slice(-16) },
    ]);
    expect(frameEveryChunking('requests', '*x\r\n').segments).toMatchObject([{ code: 'RSPY_DECODE_BAD_LENGTH', pos: 1 }]);
    expect(frameEveryChunking('requests', '*1\r\n$-1\r\n').segments).toMatchObject([{ code: 'RSPY_DECODE_BAD_LENGTH', pos: 8 }]);
    expect(frameEveryChunking('requests', '*1\r\n$1\r\nab\r\n').segments).toMatchObject([{ code: 'RSPY_DECODE_BAD_LINE_END', pos: 9, expected: 'CRLF after the bulk' }]);
    expect(frameEveryChunking('requests', '*1\rx').segments).toMatchObject([{ code: 'RSPY_DECODE_BAD_LINE_END', pos: 3 }]);
    expect(frameEveryChunking('requests', '*1234567890123456\r\n').segments).toMatchObject([{ code: 'RSPY_DECODE_BAD_LENGTH', pos: 16 }]);
  });

  it(`a line longer than PROTO_INLINE_MAX_SIZE (${PROTO_INLINE_MAX_SIZE}) is an error at its first byte`, () => {
    const long = resp('PING') + 'x'.repeat(PROTO_INLINE_MAX_SIZE + 1);
    const f = frame('requests', [Buffer.from(long)]);
    expect(f.segments[1]).toMatchObject({ kind: 'error', code: 'RSPY_DECODE_LINE_TOO_LONG', pos: resp('PING').length, excerpt: 'x'.repeat(32) });
    expect(frame('requests', [Buffer.from('x'.repeat(PROTO_INLINE_MAX_SIZE) + '\n')]).segments).toMatchObject([{ kind: 'inline' }]);
  });
});

describe('RespFramer: a master talking to its replica (replication)', () => {
  it('disk-based sync: reply lines, keepalives, `$<n>` and exactly n bytes with no CRLF, then commands', () => {
    const head = `+PONG\r\n+OK\r\n+FULLRESYNC ${replid} 0\r\n\n\n`;
    const input = head + `$${rdb.length}\r\n` + rdb + resp('SELECT', '0') + resp('set', 'k1', 'v1');
    const { segments } = frameEveryChunking('replication', input);
    expect(kinds(segments)).toEqual(['reply', 'reply', 'reply', 'keepalive', 'keepalive', 'rdb', 'command', 'command']);
    expect(segments[2]).toMatchObject({ head: `+FULLRESYNC ${replid} 0` });
    const bodyStart = head.length + `$${rdb.length}\r\n`.length;
    expect(segments[5]).toEqual({ kind: 'rdb', start: head.length, end: bodyStart + rdb.length, size: rdb.length, mark: null, bodyStart, bodyEnd: bodyStart + rdb.length, body: rdb });
    expect(segments[6]).toMatchObject({ start: bodyStart + rdb.length, argv: ['SELECT', '0'] });
  });

  it('diskless sync: `$EOF:<mark>`, the payload, the mark again, then commands', () => {
    const head = `\n+FULLRESYNC ${replid} 0\r\n$EOF:${mark}\r\n`;
    const input = head + rdb + mark + resp('PING');
    const { segments } = frameEveryChunking('replication', input);
    const bodyEnd = head.length + rdb.length;
    expect(segments[2]).toEqual({ kind: 'rdb', start: head.length - `$EOF:${mark}\r\n`.length, end: bodyEnd + 40, size: null, mark, bodyStart: head.length, bodyEnd, body: rdb });
    expect(segments[3]).toMatchObject({ kind: 'command', start: bodyEnd + 40, argv: ['PING'] });
  });

  it('a payload that holds the start of the mark, or all but its last byte, is not cut there', () => {
    const tricky = 'REDIS' + mark.slice(0, 39) + 'x' + mark.slice(0, 20) + mark.slice(0, 39);
    const input = `$EOF:${mark}\r\n` + tricky + mark + resp('PING');
    const { segments } = frameEveryChunking('replication', input);
    expect(segments).toMatchObject([{ kind: 'rdb', body: tricky }, { kind: 'command' }]);
  });

  it('an empty payload, sized and EOF-marked', () => {
    expect(kinds(frameEveryChunking('replication', '$0\r\n' + resp('PING')).segments)).toEqual(['rdb', 'command']);
    expect(frameEveryChunking('replication', `$EOF:${mark}\r\n${mark}`).segments).toMatchObject([{ kind: 'rdb', body: '', end: 47 + 40 }]);
  });

  it('+CONTINUE, Valkey $ENDOFF:, errors and RESP3 reply lines are reply segments', () => {
    const lines = ['+CONTINUE ' + replid, '-NOAUTH Authentication required.', `$ENDOFF:100 ${replid} 0 7`, ':1', '_', ',1.5', '#t', '(12345678901234567890'];
    const { segments } = frameEveryChunking('replication', lines.map((l) => l + '\r\n').join('') + 'HTTP/1.1\n');
    expect(segments.map((s) => (s.kind === 'reply' ? s.head : s.kind))).toEqual([...lines, 'inline']);
  });

  it('bad payload lines: one error at the line, with the line', () => {
    expect(frameEveryChunking('replication', '$EOF:short\r\n').segments).toEqual([
      { kind: 'error', code: 'RSPY_DECODE_BAD_EOF_MARK', pos: 0, expected: 'an EOF mark of 40 bytes', excerpt: '$EOF:short' },
    ]);
    expect(frameEveryChunking('replication', '+OK\r\n$-1\r\n').segments[1]).toMatchObject({ code: 'RSPY_DECODE_BAD_LENGTH', pos: 5, excerpt: '$-1' });
  });

  it('end(): the bytes held back as a possible mark are payload; the incomplete segment is named', () => {
    const f = frame('replication', [Buffer.from(`$EOF:${mark}\r\nREDIS` + mark.slice(0, 30))]);
    expect(f).toMatchObject({ segments: [], openRdb: { start: 0, body: 'REDIS' + mark.slice(0, 30) }, cut: 0 });
    expect(frame('replication', [Buffer.from('+OK\r\n$10\r\nREDIS')])).toMatchObject({ openRdb: { start: 5, body: 'REDIS' }, cut: 5 });
    expect(frame('replication', [Buffer.from('+OK\r\n')]).cut).toBeNull();
  });

  it('stop(): no callback after it, the bytes are still counted', () => {
    const seen: string[] = [];
    const framer = new RespFramer('replication', {
      reply: (head) => {
        seen.push(head.toString());
        if (head.toString().startsWith('+CONTINUE')) framer.stop();
      },
      command: () => seen.push('command'),
      error: () => seen.push('error'),
    });
    const input = Buffer.from('+OK\r\n+CONTINUE\r\n$3\r\nfoo' + resp('PING'));
    framer.feed(input);
    expect(seen).toEqual(['+OK', '+CONTINUE']);
    expect(framer.dead).toBe(true);
    expect(framer.pos).toBe(input.length);
  });
});

describe('RespFramer: an append-only file (aof)', () => {
  it('commands and # annotations; anything else is an error at its first byte', () => {
    const input = '#TS:1700000000\r\n' + resp('SELECT', '0') + resp('set', 'k', 'a\r\nb');
    expect(kinds(frameEveryChunking('aof', input).segments)).toEqual(['inline', 'command', 'command']);
    expect(frameEveryChunking('aof', resp('PING') + 'hello').segments).toMatchObject([
      { kind: 'command' },
      { kind: 'error', code: 'RSPY_DECODE_BAD_TYPE_BYTE', pos: 14, expected: '"*" (a command) or "#" (an annotation)' },
    ]);
    expect(frameEveryChunking('aof', '\n').segments).toMatchObject([{ kind: 'error', pos: 0 }]);
  });
});

describe('RespFramer: a server talking to a client (replies)', () => {
  it('every RESP2 and RESP3 reply is one segment however nested, with its first line', () => {
    const replies = [
      '+OK',
      '-ERR unknown command',
      ':42',
      '$5\r\nhello',
      '$0\r\n',
      '$-1',
      '*-1',
      '*0',
      '*3\r\n$1\r\na\r\n*2\r\n:1\r\n-ERR x\r\n$-1',
      '%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_',
      '~2\r\n,1.5\r\n#f',
      '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi',
      '|1\r\n+ttl\r\n:3600\r\n$1\r\nv',
      '=15\r\ntxt:Some string',
      '!21\r\nSYNTAX invalid syntax',
      '(3492890328409238509324850943850943825024385',
      '*2\r\n%0\r\n~0',
    ].map((r) => r + '\r\n');
    const { segments } = frameEveryChunking('replies', replies.join(''));
    let at = 0;
    expect(segments).toEqual(
      replies.map((r) => {
        const s = { kind: 'reply', start: at, end: at + r.length, head: r.slice(0, r.indexOf('\r\n')) };
        at += r.length;
        return s;
      }),
    );
  });

  it('a bulk reply of a GET is not an RDB payload, and bad replies are one error', () => {
    expect(frameEveryChunking('replies', '$1\r\nx\r\n').segments).toEqual([{ kind: 'reply', start: 0, end: 7, head: '$1' }]);
    expect(frameEveryChunking('replies', '*2\r\n:1\r\nfoo\r\n').segments).toMatchObject([{ kind: 'error', code: 'RSPY_DECODE_BAD_TYPE_BYTE', pos: 8, excerpt: 'foo' }]);
    expect(frameEveryChunking('replies', '$3\r\nabcd\r\n').segments).toMatchObject([{ kind: 'error', code: 'RSPY_DECODE_BAD_LINE_END', pos: 7 }]);
    expect(frameEveryChunking('replies', '*?\r\n').segments).toMatchObject([{ kind: 'error', code: 'RSPY_DECODE_BAD_LENGTH', pos: 0 }]);
  });
});
