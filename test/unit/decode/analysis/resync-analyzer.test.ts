import { describe, expect, it } from 'vitest';
import { ResyncAnalyzer } from '../../../../src/decode/analysis/resync-analyzer.js';
import type { ReplEvent } from '../../../../src/core/events.js';

const A = 'a'.repeat(40);
const OWN = 'e'.repeat(40);

/** One link's events up to the PSYNC answer, as the decoder emits them. */
function sync(link: number, at: number, port: number, ask: [string, number], answer: ReplEvent['type'], replid = A, offset = 0): ReplEvent[] {
  const base = { link, at };
  return [
    { ...base, type: 'link-open', replica: `127.0.0.1:${40000 + link}`, master: '127.0.0.1:6379' },
    { ...base, type: 'replica-command', argv: ['REPLCONF', 'listening-port', String(port)], pos: 0, end: 0 },
    { ...base, type: 'psync', replid: ask[0], offset: ask[1] },
    answer === 'fullresync' ? { ...base, type: 'fullresync', replid, offset } : { ...base, type: 'continue', replid, offset: ask[1] },
  ] as ReplEvent[];
}

function feed(analyzer: ResyncAnalyzer, events: ReplEvent[]): ReplEvent[] {
  const out: ReplEvent[] = [];
  for (const e of events) {
    const shown = analyzer.observe(Object.freeze(e), (x) => out.push(x)); // the event given is never changed
    out.push(shown);
  }
  return out;
}

describe('ResyncAnalyzer', () => {
  it('gives the PSYNC answer its reason before anyone sees it', () => {
    const out = feed(new ResyncAnalyzer(), sync(1, 0, 6380, ['?', -1], 'fullresync'));
    expect(out.at(-1)).toMatchObject({ type: 'fullresync', reasonCode: 'first-sync', reason: expect.stringMatching(/^first sync/) });
  });

  it('knows a replica again by its listening port: a second PSYNC ? -1 is a requested full sync', () => {
    const analyzer = new ResyncAnalyzer();
    feed(analyzer, [...sync(1, 0, 6380, ['?', -1], 'fullresync'), { type: 'link-close', link: 1, at: 10, by: 'replica', reason: 'x' }]);
    const out = feed(analyzer, sync(2, 120_000, 6380, ['?', -1], 'fullresync'));
    expect(out.at(-1)).toMatchObject({ reasonCode: 'full-sync-requested' });
  });

  it('uses the master INFO it was given (replid2 makes +CONTINUE <new> a failover with its limit)', () => {
    const analyzer = new ResyncAnalyzer();
    const C = 'c'.repeat(40);
    analyzer.setMasterInfo('127.0.0.1:6379', {
      at: 0, role: 'master', replid: C, replid2: A, offset: 900, secondOffset: 801,
      backlogActive: true, backlogSize: 1 << 20, backlogFirstByte: 1, backlogHistlen: 900,
    });
    const out = feed(analyzer, sync(1, 0, 6380, [A, 801], 'continue', C));
    expect(out.at(-1)).toMatchObject({ type: 'continue', reasonCode: 'failover-new-replid', reason: expect.stringContaining('up to offset 801') });
  });

  it('flags a replica that full-syncs again and again, with the count and how each attempt ended', () => {
    const analyzer = new ResyncAnalyzer();
    const attempt = (link: number, at: number): ReplEvent[] => [
      ...sync(link, at, 6380, [OWN, 1], 'fullresync'),
      { type: 'rdb-start', pos: 0, end: 0, link, at: at + 1, mode: 'disk', size: 4 << 20, waitMs: 1, keepalives: 0 },
      { type: 'rdb-progress', pos: 0, end: 0, link, at: at + 2, bytes: 2 << 20, size: 4 << 20 },
      { type: 'link-close', link, at: at + 3, by: 'master', reason: 'master closed the connection' },
    ];
    const first = feed(analyzer, [...attempt(1, 0), ...attempt(2, 5_000)]);
    expect(first.some((e) => e.type === 'sync-loop')).toBe(false);
    const third = feed(analyzer, attempt(3, 10_000));
    const loop = third.find((e) => e.type === 'sync-loop');
    expect(loop).toEqual({
      type: 'sync-loop', link: 3, at: 10_000, replica: '127.0.0.1:6380', count: 3, sinceAt: 0,
      pattern: '3 full syncs in 10.0s (replid-unknown ×3); earlier attempts: closed by master during the RDB transfer at ≥50% ×2',
    });
    expect(feed(analyzer, attempt(4, 15_000)).find((e) => e.type === 'sync-loop')).toMatchObject({ count: 4 });
  });

  it('does not call full syncs far apart a loop', () => {
    const analyzer = new ResyncAnalyzer();
    const out: ReplEvent[] = [];
    for (let i = 1; i <= 4; i++) {
      out.push(...feed(analyzer, [...sync(i, i * 61_000, 6380, [OWN, 1], 'fullresync'), { type: 'link-close', link: i, at: i * 61_000 + 1, by: 'master', reason: 'x' }]));
    }
    expect(out.some((e) => e.type === 'sync-loop')).toBe(false);
  });

  it('tells replicas apart by their listening port', () => {
    const analyzer = new ResyncAnalyzer();
    const out = feed(analyzer, [1, 2, 3].flatMap((i) => sync(i, i, 6380 + i, [OWN, 1], 'fullresync')));
    expect(out.some((e) => e.type === 'sync-loop')).toBe(false);
  });

  it('from the wire alone: a replid the master answered with before is one it may still know, so the wire cannot tell', () => {
    const analyzer = new ResyncAnalyzer();
    const C = 'c'.repeat(40);
    feed(analyzer, sync(1, 0, 6380, ['?', -1], 'fullresync', A, 0)); // the master's history was A
    feed(analyzer, sync(2, 10, 6381, [A, 500], 'continue', C)); // then a failover: C continues A
    const earlier = feed(analyzer, sync(3, 20, 6382, [A, 900], 'fullresync', C, 1000)).at(-1);
    expect(earlier).toMatchObject({ reasonCode: 'undetermined', reason: expect.stringMatching(/^full sync; the wire cannot tell why: the replica asked for aaaaaaaa… offset 900, a history this master had before cccccccc…/) });
    const never = feed(analyzer, sync(4, 30, 6383, [OWN, 900], 'fullresync', C, 1000)).at(-1);
    expect(never).toMatchObject({ reasonCode: 'replid-unknown', reason: "replid unknown to the master: the replica asked for eeeeeeee…, the master's history is cccccccc…" });
  });
});
