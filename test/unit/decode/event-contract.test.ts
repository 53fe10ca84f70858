// The event contract of the decoders: every event that comes from bytes says where they lie in their direction
// ([pos, end): those very bytes), the diskless EOF mark is on rdb-start, gap details are on the gap event, and the
// codes of violations and gap reasons are closed unions. Under every chunking of every step.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { From, GapReason, ProtocolViolationEvent, RdbInfoEvent, ReplEvent, ViolationCode } from '../../../src/core/events.js';
import { isGapReason } from '../../../src/core/events.js';
import type { RdbErrorInfo, RdbHeaderInfo, RdbSummary } from '../../../src/core/rdb-info.js';
import { makeRdbSink } from '../../../src/decode/rdb-sink.js';
import { decodeEveryChunking, gapStep, resp, type Step } from '../../helpers/decode-case.js';

const REPLID = '8b1e' + 'a'.repeat(36);
const MARK = '3a9f' + '0'.repeat(36);
const RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);

const steps: Step[] = [
  { from: 'replica', bytes: resp('PING') },
  { from: 'master', bytes: '+PONG\r\n' },
  { from: 'replica', bytes: resp('AUTH', 'pw') + resp('REPLCONF', 'capa', 'eof') + resp('PSYNC', '?', '-1') },
  { from: 'master', bytes: `+OK\r\n+OK\r\n+FULLRESYNC ${REPLID} 100\r\n\n\n$EOF:${MARK}\r\n` },
  { from: 'master', bytes: Buffer.concat([RDB, Buffer.from(MARK + resp('SELECT', '0') + resp('SET', 'a', '1'))]) },
  { from: 'replica', bytes: '\n' + resp('REPLCONF', 'ACK', '100') },
  { from: 'master', bytes: resp('SET', 'b', '2').slice(0, 9) },
  gapStep('master', 12),
  { from: 'master', bytes: resp('SET', 'b', '2').slice(21) + resp('DEL', 'a') + '*2\r\n:5\r\n' },
];

/** Each direction's bytes as the decoder counts them: what was sent, gaps as nulls. */
function directions(): Record<From, (number | null)[]> {
  const out: Record<From, (number | null)[]> = { master: [], replica: [] };
  for (const s of steps) {
    if (!('from' in s)) continue;
    if (s.gap !== undefined) out[s.from].push(...new Array<null>(s.gap).fill(null));
    else out[s.from].push(...(typeof s.bytes === 'string' ? Buffer.from(s.bytes, 'latin1') : s.bytes));
  }
  return out;
}

const text = (bytes: (number | null)[]): string => bytes.map((b) => (b === null ? '?' : String.fromCharCode(b))).join('');

/** The direction an event's bytes are in. */
function fromOf(e: ReplEvent): From {
  if ('from' in e) return e.from;
  return ['replica-command', 'psync', 'ack'].includes(e.type) ? 'replica' : 'master';
}

describe('event contract', () => {
  const events = decodeEveryChunking(steps, { rdbSink: makeRdbSink });
  const bytes = directions();
  const at = (e: ReplEvent & { pos: number; end: number }) => text(bytes[fromOf(e)].slice(e.pos, e.end));

  it('every event from bytes has pos and end: the bytes it comes from', () => {
    const spans = events.filter((e) => 'end' in e);
    expect(new Set(spans.map((e) => e.type))).toEqual(
      new Set(['replica-command', 'master-reply', 'psync', 'fullresync', 'keepalive', 'rdb-start', 'rdb-end', 'command', 'ack', 'gap', 'resync', 'protocol-violation']),
    );
    for (const e of events) {
      switch (e.type) {
        case 'replica-command':
          expect(at(e)).toBe(resp(...(e.argv[0] === 'AUTH' ? ['AUTH', 'pw'] : e.argv)));
          break;
        case 'psync':
          expect(at(e)).toBe(resp('PSYNC', '?', '-1'));
          break;
        case 'master-reply':
          expect(at(e)).toBe(`${e.reply}\r\n`);
          break;
        case 'fullresync':
          expect(at(e)).toBe(`+FULLRESYNC ${REPLID} 100\r\n`);
          break;
        case 'keepalive':
          expect(at(e)).toBe('\n');
          break;
        case 'rdb-start':
          expect(at(e)).toBe(`$EOF:${MARK}\r\n`);
          expect(e.mark).toBe(MARK);
          break;
        case 'rdb-end':
          expect(at(e)).toBe(RDB.toString('latin1') + MARK);
          expect(e.bytes).toBe(RDB.length);
          break;
        case 'command':
          expect(at(e)).toBe(resp(...e.argv.map((a) => a.toString('latin1'))));
          expect(e.bytes).toBe(e.end - e.pos);
          break;
        case 'ack':
          expect(at(e)).toBe(resp('REPLCONF', 'ACK', String(e.offset)));
          break;
        case 'gap':
          expect(at(e)).toBe('?'.repeat(12));
          expect(e.end - e.pos).toBe(e.bytes);
          break;
        case 'resync':
          expect(at(e)).toBe(resp('DEL', 'a'));
          break;
        case 'protocol-violation':
          expect(at(e)).toBe(':');
          expect(e.code).toBe('RSPY_DECODE_BAD_TYPE_BYTE');
          break;
      }
    }
  });

  it('commands after the gap keep exact offsets', () => {
    expect(events.filter((e) => e.type === 'command').map((e) => [e.offset, e.argv.map(String).join(' ')])).toEqual([
      [100 + resp('SELECT', '0').length, 'SELECT 0'],
      [100 + resp('SELECT', '0').length + resp('SET', 'a', '1').length, 'SET a 1'],
      [100 + resp('SELECT', '0').length + resp('SET', 'a', '1').length + resp('SET', 'b', '2').length + resp('DEL', 'a').length, 'DEL a'],
    ]);
  });

  it('rdb-info is typed by its phase', () => {
    const infos = events.filter((e): e is RdbInfoEvent => e.type === 'rdb-info');
    expect(infos.map((e) => e.phase)).toEqual(['header', 'summary']);
    for (const e of infos) {
      if (e.phase === 'header') expect(e.info.magic).toBe('REDIS');
      if (e.phase === 'summary') expect([e.info.checksum, e.info.complete, e.info.keys]).toEqual(['not-computed', true, 0]);
    }
    expectTypeOf<Extract<RdbInfoEvent, { phase: 'header' }>['info']>().toEqualTypeOf<RdbHeaderInfo>();
    expectTypeOf<Extract<RdbInfoEvent, { phase: 'summary' }>['info']>().toEqualTypeOf<RdbSummary>();
    expectTypeOf<Extract<RdbInfoEvent, { phase: 'error' }>['info']>().toEqualTypeOf<RdbErrorInfo>();
  });

  it('violation codes and gap reasons are closed lists', () => {
    expectTypeOf<ProtocolViolationEvent['code']>().toEqualTypeOf<ViolationCode>();
    expectTypeOf<'RSPY_DECODE_SOMETHING_ELSE'>().not.toExtend<ViolationCode>();
    expectTypeOf<'lost somewhere'>().not.toExtend<GapReason>();
    expect(['rdb-elided', 'capture-overflow', 'disk-error: ENOSPC', 'capture started mid-connection'].every(isGapReason)).toBe(true);
    expect(isGapReason('lost somewhere')).toBe(false);
  });
});
