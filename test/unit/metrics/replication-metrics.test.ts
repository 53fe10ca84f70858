// The metrics of a scripted session through the real pipeline: counts from the decoded events, the lag read from
// the pipeline at scrape time (the value its events carry), and only bounded labels.
import { describe, expect, it } from 'vitest';
import { createPipeline } from '../../../src/decode/pipeline.js';
import type { ReplEvent } from '../../../src/core/events.js';
import { ReplicationMetrics } from '../../../src/metrics/replication-metrics.js';
import { FIRST_OFFSET, SECOND_OFFSET, sharedSnapshotSession, smallRdb, WireScript } from '../../helpers/wire-script.js';

/** `name{labels} value` lines of an exposition as [series, value]. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

function setUp(untilAt: number) {
  const pipeline = createPipeline();
  let now = 0;
  const metrics = new ReplicationMetrics(() => pipeline.currentLag(now));
  const events: ReplEvent[] = [];
  pipeline.subscribe((e) => {
    events.push(e);
    metrics.observe(e);
  });
  pipeline.tapWire((e) => metrics.wire(e));
  const script = sharedSnapshotSession();
  for (const e of [...script.events].sort((a, b) => a.at - b.at)) {
    if (e.at > untilAt) break;
    now = e.at;
    pipeline.wire(e);
  }
  return { pipeline, metrics, events, script, setNow: (at: number) => (now = at) };
}

describe('replication metrics', () => {
  it('counts syncs by reason, RDB transfers, shared snapshots and faults as the events tell them', async () => {
    const { metrics, events } = setUp(20_000);
    const m = samples(await metrics.text());
    expect(m.get('replspy_full_syncs_total{reason="first-sync"}')).toBe(2);
    expect(m.get('replspy_partial_syncs_total{reason="within-backlog"}')).toBe(events.filter((e) => e.type === 'continue').length);
    expect(m.get('replspy_rdb_bytes_count')).toBe(2);
    expect(m.get('replspy_rdb_bytes_sum')).toBe(2 * smallRdb().length);
    expect(m.get('replspy_rdb_bytes_sum')).toBe(events.reduce((n, e) => n + (e.type === 'rdb-end' ? e.bytes : 0), 0));
    expect(m.get('replspy_snapshot_wait_seconds_count')).toBe(2);
    expect(m.get('replspy_shared_snapshots_total')).toBe(1);
    expect(m.get('replspy_faults_total{fault="cut"}')).toBe(1);
    expect(m.get('replspy_ack_silences_total')).toBe(events.filter((e) => e.type === 'ack-silence').length);
    expect(m.get('replspy_commands_total')).toBe(events.filter((e) => e.type === 'command').length);
  });

  it('bytes forwarded per side are the bytes of the wire events', async () => {
    const { metrics, script } = setUp(20_000);
    const m = samples(await metrics.text());
    const sent = (from: string) => script.events.reduce((n, e) => n + (e.kind === 'bytes' && e.from === from ? e.chunk.length : 0), 0);
    expect(m.get('replspy_forwarded_bytes_total{from="master"}')).toBe(sent('master'));
    expect(m.get('replspy_forwarded_bytes_total{from="replica"}')).toBe(sent('replica'));
  });

  it('the lag of a silent replica is read from the pipeline at scrape time, labelled as redis_exporter labels replicas', async () => {
    const { pipeline, metrics, setNow } = setUp(8000);
    setNow(8100);
    const lag = pipeline.currentLag(8100).find((l) => l.link === 2)!;
    expect(lag.lagMs).toBe(2100); // the SET of 6000 ms, not acknowledged
    const m = samples(await metrics.text());
    const replica2 = 'slave_ip="127.0.0.1",slave_port="6381"';
    const master = 'master="127.0.0.1:6379"';
    expect(m.get(`redis_connected_slave_lag_seconds{${replica2},slave_state="online",${master}}`)).toBe(2.1);
    expect(m.get(`redis_connected_slave_offset_bytes{${replica2},slave_state="online",${master}}`)).toBe(FIRST_OFFSET);
    expect(m.get(`replspy_replica_lag_bytes{${replica2},${master}}`)).toBe(SECOND_OFFSET - FIRST_OFFSET);
    expect(m.get(`replspy_replica_ack_silent{${replica2},${master}}`)).toBe(1);
    // the replica on port 6380 came back on link 3 and is caught up
    expect(m.get(`redis_connected_slave_lag_seconds{slave_ip="127.0.0.1",slave_port="6380",slave_state="online",${master}}`)).toBe(0);
    expect(m.get('replspy_links_open{kind="replica"}')).toBe(2);
    // a second scrape later reads a later lag: nothing is cached from the last event
    setNow(8600);
    expect(samples(await metrics.text()).get(`redis_connected_slave_lag_seconds{${replica2},slave_state="online",${master}}`)).toBe(2.6);
  });

  it('closed links leave the per-replica series; labels never hold keys or command names', async () => {
    const { metrics } = setUp(20_000);
    const text = await metrics.text();
    expect(text).not.toMatch(/^redis_connected_slave_lag_seconds\{/m);
    expect(samples(text).get('replspy_links_open{kind="replica"}')).toBe(0);
    expect(text).not.toMatch(/user:|SET|SELECT/);
  });

  it('a violation and a gap are counted with their side', async () => {
    const pipeline = createPipeline();
    const metrics = new ReplicationMetrics(() => pipeline.currentLag(0));
    pipeline.subscribe((e) => metrics.observe(e));
    const s = new WireScript();
    s.open(1, 1, '127.0.0.1:50001').handshake(1, 2, 6380, ['?', '-1']);
    s.send(1, 10, 'master', `+FULLRESYNC ${'c'.repeat(40)} 0\r\n`).send(1, 11, 'master', 'XYZ\r\n'); // not an RDB
    s.open(2, 20, '127.0.0.1:50002').handshake(2, 21, 6381, ['?', '-1']);
    s.gap(2, 30, 'master', 100, 'not in the packet capture');
    s.run(pipeline);
    const m = samples(await metrics.text());
    expect([...m.keys()].filter((k) => k.startsWith('replspy_protocol_violations_total{from="master"'))).toHaveLength(1);
    expect(m.get('replspy_gap_bytes_total{from="master"}')).toBe(100);
  });

  it('the +CONTINUE that resumes the main channel of a two-channel sync is not a partial sync; dropped events are counted by the output', async () => {
    let dropped = 0;
    const metrics = new ReplicationMetrics(() => [], () => dropped);
    const at = 1;
    metrics.observe({ type: 'link-open', at, link: 1, replica: '127.0.0.1:50001', master: 'm:6379' });
    metrics.observe({ type: 'link-open', at, link: 2, replica: '127.0.0.1:50002', master: 'm:6379' });
    metrics.observe({ type: 'link-pair', at, link: 1, mainLink: 1, rdbLink: 2, flavor: 'valkey-dual-channel' });
    metrics.observe({ type: 'endoff', pos: 0, end: 0, at, link: 2, offset: 100, replid: 'r', db: 0, clientId: '7' });
    metrics.observe({ type: 'continue', pos: 0, end: 0, at, link: 1, replid: null, offset: 101 });
    const m = samples(await metrics.text());
    expect(m.get('replspy_full_syncs_total{reason="unknown"}')).toBe(1);
    expect([...m.keys()].some((k) => k.startsWith('replspy_partial_syncs_total{'))).toBe(false);
    expect(m.get('replspy_links_open{kind="rdb-channel"}')).toBe(1);
    expect(m.get('replspy_links_open{kind="replica"}')).toBe(1);
    dropped = 12; // the output's count, read at each scrape
    expect(samples(await metrics.text()).get('replspy_dropped_events_total')).toBe(12);
  });
});
