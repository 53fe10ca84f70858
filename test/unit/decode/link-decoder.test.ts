// The link decoder on hand-written transcripts taken from protocol.md, each under every chunking of every step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { LinkDecoder } from '../../../src/decode/link-decoder.js';
import { makeRdbSink } from '../../../src/decode/rdb-sink.js';
import { decodeEveryChunking, resp, types, type Step } from '../../helpers/decode-case.js';
import { corpusPath, requireCorpus } from '../../helpers/corpus.js';

const hasRdbCorpus = requireCorpus('rdb', 'the start db from an RDB corpus file');
const REPLID = '8b1e' + 'a'.repeat(36);
const MARK = '3a9f' + '0'.repeat(36);
const RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]); // an empty RDB, CRC 0

const handshake: Step[] = [
  { from: 'replica', bytes: resp('PING') },
  { from: 'master', bytes: '+PONG\r\n' },
  { from: 'replica', bytes: resp('REPLCONF', 'listening-port', '6380') + resp('REPLCONF', 'capa', 'eof', 'capa', 'psync2') },
  { from: 'master', bytes: '+OK\r\n+OK\r\n' },
  { from: 'replica', bytes: resp('PSYNC', '?', '-1'), at: 100 },
];

function only<T extends ReplEvent['type']>(events: ReplEvent[], type: T): Extract<ReplEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ReplEvent, { type: T }> => e.type === type);
}

function commands(events: ReplEvent[]): [number, number | null, string][] {
  return only(events, 'command').map((e) => [e.offset, e.db, e.argv.map((a) => a.toString('latin1')).join(' ')]);
}

describe('link decoder', () => {
  it('disk sync: keepalives while BGSAVE runs, `$<len>` with no CRLF, stream in the same chunk as the RDB tail', () => {
    const events = decodeEveryChunking([
      ...handshake,
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 0\r\n`, at: 101 },
      { from: 'master', bytes: '\n\n\n', at: 2000 },
      { from: 'master', bytes: Buffer.concat([Buffer.from(`$${RDB.length}\r\n`), RDB, Buffer.from(resp('SELECT', '0') + resp('set', 'k1', 'v1'))]), at: 3100 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '50'), at: 3200 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '52'), at: 3300 },
    ]);
    expect(only(events, 'replica-command').map((e) => e.argv.join(' '))).toEqual(['PING', 'REPLCONF listening-port 6380', 'REPLCONF capa eof capa psync2', 'PSYNC ? -1']);
    expect(only(events, 'master-reply').map((e) => e.reply)).toEqual(['+PONG', '+OK', '+OK', `+FULLRESYNC ${REPLID} 0`, `$${RDB.length}`]);
    expect(only(events, 'psync')).toMatchObject([{ replid: '?', offset: -1 }]);
    expect(only(events, 'fullresync')).toMatchObject([{ replid: REPLID, offset: 0 }]);
    expect(only(events, 'keepalive')).toHaveLength(3);
    expect(only(events, 'rdb-start')).toMatchObject([{ mode: 'disk', size: RDB.length, waitMs: 3000, keepalives: 3 }]);
    expect(only(events, 'rdb-end')).toMatchObject([{ bytes: RDB.length, durationMs: 0 }]);
    expect(commands(events)).toEqual([[23, 0, 'SELECT 0'], [52, 0, 'set k1 v1']]);
    expect(only(events, 'ack')).toMatchObject([
      { offset: 50, lagBytes: 2, lagMs: 100, loadMs: 100 },
      { offset: 52, lagBytes: 0, lagMs: 0 },
    ]);
    expect(only(events, 'protocol-violation')).toEqual([]);
  });

  it('diskless sync: keepalives before +FULLRESYNC, `$EOF:` mark found even when split, then the stream after the ACK', () => {
    const events = decodeEveryChunking([
      ...handshake,
      { from: 'master', bytes: '\n\n', at: 1100 },
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 1000\r\n$EOF:${MARK}\r\n`, at: 2100 },
      { from: 'master', bytes: Buffer.concat([RDB, Buffer.from(MARK)]), at: 2200 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '1000'), at: 2300 },
      { from: 'master', bytes: resp('SELECT', '3') + resp('MULTI') + resp('SET', 'a', '1') + resp('EXEC') + resp('ping'), at: 2400 },
    ]);
    expect(only(events, 'rdb-start')).toMatchObject([{ mode: 'diskless', size: null, waitMs: 2000, keepalives: 2 }]);
    expect(only(events, 'rdb-end')).toMatchObject([{ bytes: RDB.length, durationMs: 100 }]);
    expect(only(events, 'ack')).toMatchObject([{ offset: 1000, lagBytes: 0, loadMs: 100 }]);
    expect(commands(events)).toEqual([
      [1023, 3, 'SELECT 3'],
      [1038, 3, 'MULTI'],
      [1065, 3, 'SET a 1'],
      [1079, 3, 'EXEC'],
      [1093, 3, 'ping'],
    ]);
  });

  it('an RDB payload that contains a partial copy of the mark does not end early', () => {
    const fake = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from(MARK.slice(0, 39)), Buffer.from([0xff]), Buffer.alloc(8)]);
    const events = decodeEveryChunking([
      ...handshake,
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 0\r\n$EOF:${MARK}\r\n` },
      { from: 'master', bytes: Buffer.concat([fake, Buffer.from(MARK)]) },
    ]);
    expect(only(events, 'rdb-end')).toMatchObject([{ bytes: fake.length }]);
  });

  it('+CONTINUE with a new replid: the stream starts at the offset the replica asked for', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', REPLID, '843') },
      { from: 'master', bytes: `+CONTINUE ${'f'.repeat(40)}\r\n` + resp('SET', 'after', '1') },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '842') + resp('REPLCONF', 'ACK', '873', 'FACK', '870'), at: 10 },
    ]);
    expect(only(events, 'psync')).toMatchObject([{ replid: REPLID, offset: 843 }]);
    expect(only(events, 'continue')).toMatchObject([{ replid: 'f'.repeat(40), offset: 843 }]);
    expect(commands(events)).toEqual([[842 + resp('SET', 'after', '1').length, null, 'SET after 1']]);
    expect(only(events, 'ack')).toMatchObject([
      { offset: 842, lagBytes: 31 },
      { offset: 873, lagBytes: 0, fack: 870 },
    ]);
  });

  it('+CONTINUE without a replid (replica without psync2)', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', REPLID, '11') },
      { from: 'master', bytes: '+CONTINUE\r\n' + resp('ping') },
    ]);
    expect(only(events, 'continue')).toMatchObject([{ replid: null, offset: 11 }]);
    expect(commands(events)).toEqual([[24, null, 'ping']]);
  });

  it('AUTH passwords are masked (one and two arguments), -NOAUTH and -LOADING are replies, not violations', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PING') },
      { from: 'master', bytes: '-NOAUTH Authentication required.\r\n' },
      { from: 'replica', bytes: resp('AUTH', 's3cret') + resp('AUTH', 'repl', 'an0ther') + resp('PSYNC', '?', '-1') },
      { from: 'master', bytes: '+OK\r\n+OK\r\n-LOADING Redis is loading the dataset in memory\r\n' },
    ]);
    expect(only(events, 'replica-command').map((e) => e.argv.join(' '))).toEqual(['PING', 'AUTH ***', 'AUTH repl ***', 'PSYNC ? -1']);
    expect(JSON.stringify(events)).not.toMatch(/s3cret|an0ther/);
    expect(only(events, 'master-reply').map((e) => e.reply)).toEqual(['-NOAUTH Authentication required.', '+OK', '+OK', '-LOADING Redis is loading the dataset in memory']);
    expect(only(events, 'protocol-violation')).toEqual([]);
  });

  it('shows AUTH passwords only when asked', () => {
    const events = decodeEveryChunking([{ from: 'replica', bytes: resp('AUTH', 's3cret') + resp('PSYNC', '?', '-1') }], { showSecrets: true });
    expect(only(events, 'replica-command')[0].argv).toEqual(['AUTH', 's3cret']);
  });

  it('an error instead of the `$` line: the master aborted, the replica will ask again', () => {
    const events = decodeEveryChunking([
      ...handshake,
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 0\r\n\n-ERR BGSAVE failed, replication can't continue\r\n` },
      { from: 'replica', bytes: resp('PSYNC', '?', '-1') },
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 5\r\n$${RDB.length}\r\n` },
      { from: 'master', bytes: RDB },
    ]);
    expect(types(events).filter((t) => t === 'fullresync' || t === 'rdb-start' || t === 'rdb-end')).toEqual(['fullresync', 'fullresync', 'rdb-start', 'rdb-end']);
    expect(only(events, 'protocol-violation')).toEqual([]);
  });

  it('legacy inline SYNC: the payload comes with no +FULLRESYNC', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('REPLCONF', 'capa', 'eof') + 'SYNC\r\n' },
      { from: 'master', bytes: `+OK\r\n$EOF:${MARK}\r\n` },
      { from: 'master', bytes: Buffer.concat([RDB, Buffer.from(MARK)]) },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '0') + '\n' },
      { from: 'master', bytes: resp('SELECT', '1') },
    ]);
    expect(only(events, 'replica-command').map((e) => e.argv.join(' '))).toEqual(['REPLCONF capa eof', 'SYNC']);
    expect(only(events, 'rdb-start')).toMatchObject([{ mode: 'diskless' }]);
    expect(commands(events)).toEqual([[23, 1, 'SELECT 1']]);
    expect(only(events, 'keepalive')).toMatchObject([{ from: 'replica' }]);
  });

  it('Valkey dual channel, RDB connection: $ENDOFF then the payload', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('REPLCONF', 'capa', 'eof', 'rdb-only', '1', 'rdb-channel', '1') + 'SYNC\r\n' },
      { from: 'master', bytes: `+OK\r\n\n$ENDOFF:842 ${REPLID} 0 13\r\n$EOF:${MARK}\r\n` },
      { from: 'master', bytes: Buffer.concat([RDB, Buffer.from(MARK)]) },
    ]);
    expect(only(events, 'endoff')).toMatchObject([{ offset: 842, replid: REPLID, db: 0, clientId: '13' }]);
    expect(only(events, 'rdb-end')).toMatchObject([{ bytes: RDB.length }]);
  });

  it.skipIf(!hasRdbCorpus)('the start db comes from the RDB aux field repl-stream-db when no SELECT came', () => {
    const rdb = readFileSync(corpusPath('rdb', 'redis/scriptbackup.rdb'));
    const events = decodeEveryChunking(
      [
        { from: 'replica', bytes: resp('PSYNC', '?', '-1') },
        { from: 'master', bytes: Buffer.concat([Buffer.from(`+FULLRESYNC ${REPLID} 0\r\n$${rdb.length}\r\n`), rdb, Buffer.from(resp('SET', 'k', 'v'))]) },
      ],
      { rdbSink: makeRdbSink },
    );
    const header = only(events, 'rdb-info').find((e) => e.phase === 'header');
    const db = Number((header?.info.aux as Record<string, string>)['repl-stream-db']);
    expect(Number.isInteger(db)).toBe(true);
    expect(commands(events)).toEqual([[resp('SET', 'k', 'v').length, db, 'SET k v']]);
  });

  it('an argument larger than the keep limit keeps only its first bytes and its full size', () => {
    const big = 'x'.repeat(1000);
    const events = decodeEveryChunking(
      [
        { from: 'replica', bytes: resp('PSYNC', REPLID, '1') },
        { from: 'master', bytes: '+CONTINUE\r\n' + resp('SET', 'big', big) + resp('SET', 'small', 'v') },
      ],
      { keepArgBytes: 100 },
    );
    const cmds = only(events, 'command');
    expect(cmds.map((c) => c.offset)).toEqual([resp('SET', 'big', big).length, resp('SET', 'big', big).length + resp('SET', 'small', 'v').length]);
    expect(cmds[0].argBytes).toEqual([3, 3, 1000]);
    expect(cmds[0].argv[2].toString()).toBe('x'.repeat(256));
    expect(cmds[1].argBytes).toBeUndefined();
  });

  it('GETACK: the ACK it triggers excludes its own 37 bytes, and lag is measured in bytes and ms', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', REPLID, '1') },
      { from: 'master', bytes: '+CONTINUE\r\n' + resp('SET', 'a', '1'), at: 1000 },
      { from: 'master', bytes: resp('REPLCONF', 'GETACK', '*'), at: 1500 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '27'), at: 1510 },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '64'), at: 2000 },
    ]);
    expect(commands(events).map((c) => c[2])).toEqual(['SET a 1', 'REPLCONF GETACK *']);
    expect(only(events, 'ack')).toMatchObject([
      { offset: 27, lagBytes: 37, lagMs: 10 },
      { offset: 64, lagBytes: 0, lagMs: 0 },
    ]);
  });

  it('garbage from the master: one protocol-violation with code, position and excerpt, then nothing', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', '?', '-1') },
      { from: 'master', bytes: 'HTTP/1.1 400 Bad Request\r\n\r\n+OK\r\n' },
    ]);
    const v = only(events, 'protocol-violation');
    expect(v).toMatchObject([{ from: 'master', code: 'RSPY_DECODE_UNEXPECTED_REPLY', pos: 0 }]);
    expect(v[0].excerptHex).toBe(Buffer.from('HTTP/1.1 400 Bad Request\r').toString('hex'));
    expect(only(events, 'master-reply')).toEqual([]);
  });

  it('garbage in the command stream: the violation names the byte position', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', REPLID, '1') },
      { from: 'master', bytes: '+CONTINUE\r\n' + resp('SET', 'a', '1') + '*2\r\n:5\r\n' + resp('SET', 'b', '2') },
    ]);
    const setLen = resp('SET', 'a', '1').length;
    expect(only(events, 'protocol-violation')).toMatchObject([{ from: 'master', code: 'RSPY_DECODE_BAD_TYPE_BYTE', pos: 11 + setLen + 4 }]);
    expect(only(events, 'protocol-violation')[0].excerptHex).toBe(Buffer.from(resp('SET', 'a', '1') + '*2\r\n:').subarray(-16).toString('hex'));
    expect(commands(events)).toEqual([[setLen, null, 'SET a 1']]);
  });

  it('junk lines from a master in the command stream: one violation for the direction, then nothing decoded', () => {
    const junk = Array.from({ length: 40 }, (_, i) => `junk line ${i}\r\n`).join('');
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', REPLID, '1') },
      { from: 'master', bytes: '+CONTINUE\r\n' + resp('SET', 'a', '1') + junk + resp('SET', 'b', '2') + junk },
    ]);
    expect(only(events, 'protocol-violation')).toMatchObject([{ from: 'master', code: 'RSPY_DECODE_INLINE_FROM_MASTER', pos: 11 + resp('SET', 'a', '1').length }]);
    expect(commands(events)).toEqual([[resp('SET', 'a', '1').length, null, 'SET a 1']]);
  });

  it('bad ACKs from a replica: one violation for the direction, then nothing decoded', () => {
    const events = decodeEveryChunking([
      { from: 'replica', bytes: resp('PSYNC', REPLID, '1') },
      { from: 'master', bytes: '+CONTINUE\r\n' },
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', 'x') + resp('REPLCONF', 'ACK', 'y') + resp('REPLCONF', 'ACK', '5') },
    ]);
    expect(only(events, 'protocol-violation')).toMatchObject([{ from: 'replica', code: 'RSPY_DECODE_BAD_ACK' }]);
    expect(only(events, 'ack')).toEqual([]);
  });

  it('garbage from the replica and an endless line are violations, never exceptions', () => {
    const events = decodeEveryChunking([{ from: 'replica', bytes: '*x\r\n' }]);
    expect(only(events, 'protocol-violation')).toMatchObject([{ from: 'replica', code: 'RSPY_DECODE_BAD_LENGTH', pos: 1 }]);
    const long = decodeEveryChunking([{ from: 'master', bytes: '+' + 'a'.repeat(70_000) }]);
    expect(only(long, 'protocol-violation')).toMatchObject([{ code: 'RSPY_DECODE_LINE_TOO_LONG' }]);
  });
});

describe('link decoder and capture gaps', () => {
  function run(payloadLine: string, gapBytes: number, after: Buffer): ReplEvent[] {
    const out: ReplEvent[] = [];
    const d = new LinkDecoder(1, (e) => out.push(e), { rdbSink: makeRdbSink });
    const bytes = (from: 'master' | 'replica', s: string | Buffer) => d.feed({ kind: 'bytes', link: 1, at: 0, from, chunk: Buffer.from(s) });
    bytes('replica', resp('PSYNC', '?', '-1'));
    bytes('master', `+FULLRESYNC ${REPLID} 0\r\n${payloadLine}\r\n`);
    d.feed({ kind: 'gap', link: 1, at: 1, from: 'master', bytes: gapBytes, reason: 'rdb-elided' });
    bytes('master', after);
    return out;
  }

  it('an RDB body left out of a diskless capture: the mark still ends it, the stream decodes after it', () => {
    const events = run(`$EOF:${MARK}`, 5000, Buffer.from(MARK + resp('SET', 'k', 'v')));
    expect(only(events, 'rdb-end')).toMatchObject([{ bytes: 5000 }]);
    expect(commands(events)).toEqual([[resp('SET', 'k', 'v').length, null, 'SET k v']]);
    expect(only(events, 'rdb-info')).toMatchObject([{ phase: 'error', info: { code: 'RSPY_RDB_NOT_AVAILABLE' } }]);
    expect(only(events, 'protocol-violation')).toEqual([]);
  });

  it('an RDB body left out of a disk capture', () => {
    const events = run('$5000', 5000, Buffer.from(resp('SET', 'k', 'v')));
    expect(only(events, 'rdb-end')).toMatchObject([{ bytes: 5000 }]);
    expect(commands(events)).toEqual([[resp('SET', 'k', 'v').length, null, 'SET k v']]);
  });
});
