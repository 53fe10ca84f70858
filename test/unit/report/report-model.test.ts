// Decoded events of a scripted session to the report model: the phases of every link, one bar for the snapshot
// two replicas shared, lag and ACK silences, commands counted once per master stream, problems with where.
import { describe, expect, it } from 'vitest';
import { createPipeline } from '../../../src/decode/pipeline.js';
import { makeRdbSink } from '../../../src/decode/rdb-sink.js';
import { ReportBuilder, type ReportModel } from '../../../src/report/report-model.js';
import { resp } from '../../helpers/decode-case.js';
import { REPLID, sharedSnapshotSession, WireScript } from '../../helpers/wire-script.js';

function modelOf(script: WireScript, endAt = 10_000): ReportModel {
  const pipeline = createPipeline({ rdbSink: makeRdbSink });
  const builder = new ReportBuilder({ title: 't', source: 's' });
  pipeline.subscribe((e) => builder.observe(e));
  script.run(pipeline);
  return builder.build(endAt);
}

describe('report model', () => {
  const m = modelOf(sharedSnapshotSession());
  const row = (link: number) => m.links.find((l) => l.link === link)!;

  it('every link is a row with its sync phases, one after the other, and the stream until it closed', () => {
    expect(m.links.map((l) => l.link)).toEqual([1, 2, 3]);
    expect(row(1).phases.map((p) => [p.name, p.startAt, p.endAt])).toEqual([
      ['handshake', 101, 115],
      ['waiting for BGSAVE', 115, 1000],
      ['RDB transfer', 1000, 1000],
      ['replica load', 1000, 1500],
      ['catch-up', 1500, 1500],
      ['streaming', 1500, 5000],
    ]);
    expect(row(1)).toMatchObject({ replica: '127.0.0.1:6380', sync: 'full', reasonCode: 'first-sync', closeAt: 5000, closeReason: 'proxy: cut by a fault', loadMs: 500 });
    expect(row(1).marks).toEqual([{ at: 5000, kind: 'fault', text: 'cut (reason replica=1,cut)' }]);
    // the partial sync streams from +CONTINUE on
    expect(row(3).phases.map((p) => p.name)).toEqual(['handshake', 'streaming', 'catch-up', 'streaming']);
    expect(row(3)).toMatchObject({ replica: '127.0.0.1:6380', sync: 'partial', reasonCode: 'within-backlog' });
    expect(m.syncs).toMatchObject({ full: 2, partial: 1, faults: 1 });
  });

  it('the snapshot the two replicas shared is one bar over their wait for the BGSAVE', () => {
    expect(m.snapshots).toEqual([{ snapshot: 1, links: [1, 2], replid: REPLID, offset: 0, startAt: 115, endAt: 1000 }]);
    expect(row(1).snapshot).toBe(1);
    expect(row(3).snapshot).toBeNull();
  });

  it("each replica's lag over time, with its ACK silence from the last ACK to the next", () => {
    const replica2 = m.replicas.find((r) => r.replica === '127.0.0.1:6381')!;
    // silent from its ACK at 2500 ms (nothing to acknowledge, then the SET of 6000 ms) to its ACK at 9000 ms
    expect(replica2).toMatchObject({ links: [2], silences: 1, maxLagMs: 2250, maxLagBytes: 36, longestSilenceMs: 6500 });
    expect(row(2).silences).toEqual([{ fromAt: 2500, toAt: 9000, ended: true }]);
    // still silent when its link closed
    expect(row(3).silences).toEqual([{ fromAt: 6500, toAt: 10_000, ended: false }]);
    const ms = m.lagSeries.view(`${replica2.seriesKey}|ms`)!;
    expect(Math.max(...ms.values.filter((v) => !Number.isNaN(v)))).toBe(replica2.maxLagMs);
    // the replica on port 6380 is one replica across its two links
    expect(m.replicas.find((r) => r.replica === '127.0.0.1:6380')!.links).toEqual([1, 3]);
  });

  it('commands are counted once per master stream, by name, key prefix and db', () => {
    const c = m.commands;
    expect(c.total.count).toBe(3); // SELECT and SET on links 1 and 2, the next SET on links 2 and 3
    expect(c.duplicates).toBe(3);
    expect(c.byName.map((x) => [x.name, x.count])).toEqual([['SET', 2], ['SELECT', 1]]);
    expect(c.prefixes).toEqual([{ name: 'user:*', count: 2, error: 0 }]);
    expect(c.byDb).toEqual([{ db: '0', count: 3, bytes: c.total.bytes }]);
    expect(row(2).commands).toBe(3);
  });

  it('the RDB summary once for the snapshot both links received', () => {
    expect(m.rdbs).toHaveLength(1);
    expect(m.rdbs[0]!.links).toEqual([1, 2]);
    expect(m.rdbs[0]!.info).toMatchObject({ keys: 3, dbs: { '0': { keys: 3 } } });
  });

  it('what could not be decoded, with the link and where in its stream', () => {
    const s = new WireScript();
    s.open(1, 1, '127.0.0.1:50001').handshake(1, 2, 6380, [REPLID, '100']);
    s.send(1, 10, 'master', `+CONTINUE ${REPLID}\r\n`);
    s.send(1, 20, 'master', resp('SET', 'a', '1'));
    s.gap(1, 30, 'master', 500, 'not in the packet capture');
    s.send(1, 40, 'master', resp('SET', 'b', '2'));
    s.open(2, 50, '127.0.0.1:50002').handshake(2, 51, 6381);
    s.send(2, 60, 'master', `+FULLRESYNC ${REPLID} 0\r\nXYZ\r\n`);
    const p = modelOf(s, 100).problems;
    expect(p.gaps).toEqual([{ at: 30, link: 1, from: 'master', bytes: 500, offset: 99 + resp('SET', 'a', '1').length, reason: 'not in the packet capture' }]);
    expect(p.violations).toMatchObject([{ link: 2, from: 'master', code: 'RSPY_DECODE_UNEXPECTED_REPLY' }]);
    expect(p.counts).toMatchObject({ violations: 1, gaps: 1, gapBytes: 500 });
  });
});
