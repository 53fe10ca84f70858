// The lag between ACKs, on the clock: a transcript with ticks, under every chunking of every step.
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { createPipeline } from '../../../src/decode/pipeline.js';
import { decodeEveryChunking, resp, type Step } from '../../helpers/decode-case.js';

const REPLID = '8b1e' + 'a'.repeat(36);
const RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
const SET = resp('set', 'k2', 'v2'); // 29 bytes

/** A full sync whose stream reaches offset 52, acknowledged at 3200 ms. */
const synced: Step[] = [
  { from: 'replica', bytes: resp('PSYNC', '?', '-1'), at: 100 },
  { from: 'master', bytes: `+FULLRESYNC ${REPLID} 0\r\n`, at: 101 },
  { from: 'master', bytes: Buffer.concat([Buffer.from(`$${RDB.length}\r\n`), RDB, Buffer.from(resp('SELECT', '0') + resp('set', 'k1', 'v1'))]), at: 3100 },
  { from: 'replica', bytes: resp('REPLCONF', 'ACK', '52'), at: 3200 },
];

const ticks = (from: number, to: number): Step[] => {
  const out: Step[] = [];
  for (let t = from; t <= to; t += 250) out.push({ tick: t });
  return out;
};

function only<T extends ReplEvent['type']>(events: ReplEvent[], ...types: T[]): Extract<ReplEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ReplEvent, { type: T }> => (types as string[]).includes(e.type));
}

describe('lag between ACKs', () => {
  it('grows with the clock while the replica is silent, ack-silence after 2 s with bytes to acknowledge, ack-resumed with the next ACK', () => {
    const events = decodeEveryChunking([
      ...synced,
      { from: 'master', bytes: SET, at: 4000 },
      ...ticks(3250, 5750),
      { from: 'replica', bytes: resp('REPLCONF', 'ACK', '81'), at: 6000 },
      ...ticks(6000, 7500),
    ]);
    expect(only(events, 'lag', 'ack-silence', 'ack-resumed', 'ack')).toEqual([
      { type: 'ack', pos: 30, end: 65, at: 3200, link: 1, offset: 52, lagBytes: 0, lagMs: 0, loadMs: 100 },
      // a second after the last report, the SET of 4000 ms is 250 ms old and not acknowledged
      { type: 'lag', at: 4250, link: 1, offset: 81, ackOffset: 52, lagBytes: 29, lagMs: 250 },
      { type: 'lag', at: 5250, link: 1, offset: 81, ackOffset: 52, lagBytes: 29, lagMs: 1250 },
      { type: 'ack-silence', at: 5250, link: 1, lastAckAt: 3200, silentMs: 2050, ackOffset: 52, lagBytes: 29, lagMs: 1250 },
      { type: 'ack', pos: 65, end: 100, at: 6000, link: 1, offset: 81, lagBytes: 0, lagMs: 0 },
      { type: 'ack-resumed', at: 6000, link: 1, silentMs: 2800, offset: 81, lagBytes: 0, lagMs: 0 },
    ]);
  });

  it('a caught-up replica reports nothing until the ACK timeout passes without an ACK', () => {
    const events = decodeEveryChunking([...synced, ...ticks(3250, 7000)], { ackTimeoutMs: 3000 });
    expect(only(events, 'lag')).toEqual([]);
    expect(only(events, 'ack-silence')).toEqual([
      { type: 'ack-silence', at: 6250, link: 1, lastAckAt: 3200, silentMs: 3050, ackOffset: 52, lagBytes: 0, lagMs: 0 },
    ]);
  });

  it('no ACK yet (the replica is loading): no lag and no silence', () => {
    const events = decodeEveryChunking([...synced.slice(0, 3), ...ticks(3250, 9000)]);
    expect(only(events, 'lag', 'ack-silence')).toEqual([]);
  });
});

describe('the pipeline clock', () => {
  it('ticks reach every open link, and currentLag reads the same lag the events carry at any moment', () => {
    const pipeline = createPipeline();
    const out: ReplEvent[] = [];
    pipeline.subscribe((e) => out.push(e));
    const bytes = (at: number, from: 'master' | 'replica', text: string) => pipeline.wire({ kind: 'bytes', link: 1, at, from, chunk: Buffer.from(text, 'latin1') });
    pipeline.wire({ kind: 'open', link: 1, at: 0, replica: '127.0.0.1:40001', master: '127.0.0.1:6379' });
    bytes(1, 'replica', resp('PSYNC', REPLID, '100'));
    bytes(2, 'master', `+CONTINUE ${REPLID}\r\n`);
    bytes(10, 'replica', resp('REPLCONF', 'ACK', '99'));
    bytes(500, 'master', SET);
    expect(pipeline.currentLag(900)).toEqual([{ link: 1, offset: 128, ackOffset: 99, lagBytes: 29, lagMs: 400, ackSilent: false }]);
    pipeline.wire({ kind: 'tick', at: 2100 });
    pipeline.wire({ kind: 'tick', at: 2200 });
    expect(only(out, 'lag', 'ack-silence').map((e) => [e.type, e.at, e.lagMs])).toEqual([
      ['lag', 2100, 1600],
      ['ack-silence', 2100, 1600],
    ]);
    expect(pipeline.currentLag(3000)).toEqual([{ link: 1, offset: 128, ackOffset: 99, lagBytes: 29, lagMs: 2500, ackSilent: true }]);
    pipeline.wire({ kind: 'close', link: 1, at: 3100, by: 'replica', reason: 'x' });
    expect(pipeline.currentLag(3200)).toEqual([]);
  });
});
