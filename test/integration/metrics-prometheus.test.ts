// `--metrics` scraped by a real Prometheus: after a lab run with a cut, PromQL through Prometheus's HTTP API gives
// the partial syncs, the RDB bytes and the lag of a stalled (SIGSTOPped) replica that the event stream gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePrometheus, startPrometheus, type PrometheusServer } from '../helpers/prometheus.js';
import { requireRedis, waitFor } from '../helpers/redis.js';
import { LabRun, until, type LabEvent } from './lab-harness.js';

const ready = requireRedis() && requirePrometheus();

describe.skipIf(!ready)('metrics in Prometheus', () => {
  let lab: LabRun;
  let prometheus: PrometheusServer;
  const value = async (promql: string): Promise<number | null> => (await prometheus.query(promql))[0]?.value ?? null;
  /** Waits until the query gives what the events say (Prometheus scrapes every second), then returns both. */
  const converged = async (promql: string, fromEvents: () => number): Promise<[number | null, number]> => {
    await waitFor(async () => (await value(promql)) === fromEvents(), 20_000, `${promql} = ${fromEvents()}`).catch(() => undefined);
    return [await value(promql), fromEvents()];
  };
  const events = (type: string) => lab.events.filter((e) => e.type === type);

  beforeAll(async () => {
    lab = await LabRun.start(['--replicas', '2', '--keys', '2000', '--rate', '50', '--metrics', '127.0.0.1:0']);
    const url = await until(() => /metrics\s+(http:\/\/\S+)\/metrics/.exec(lab.stderr)?.[1], 30_000, () => `the metrics line\n${lab.stderr}`);
    prometheus = await startPrometheus([url.replace('http://', '')]);
    await prometheus.targetsUp(30_000);
    await until(() => /all 2 replicas in sync/.test(lab.stderr), 30_000, () => `the replicas in sync\n${lab.stderr}`);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await lab?.stop('SIGINT');
  });

  it('counts the full syncs and their RDB bytes as the events do', async () => {
    const [bytes, bytesInEvents] = await converged('sum(replspy_rdb_bytes_sum)', () => events('rdb-end').reduce((n, e) => n + Number(e.bytes), 0));
    expect(bytesInEvents).toBeGreaterThan(10_000); // 2000 keys, twice
    expect(bytes).toBe(bytesInEvents);
    const [full, fullInEvents] = await converged('sum(replspy_full_syncs_total)', () => events('fullresync').length);
    expect(fullInEvents).toBe(2);
    expect(full).toBe(fullInEvents);
  });

  it('a cut link comes back with a partial sync, counted by its reason', async () => {
    const from = lab.events.length;
    expect(await lab.fault({ replica: 1, cut: true })).toMatchObject({ ok: true });
    const cont = await lab.waitEvent((e) => e.type === 'continue', 30_000, 'the +CONTINUE after the cut', from);
    const [partial, partialInEvents] = await converged('sum(replspy_partial_syncs_total)', () => events('continue').length);
    expect(partialInEvents).toBe(1);
    expect(partial).toBe(partialInEvents);
    expect(await value(`replspy_partial_syncs_total{reason="${String(cont.reasonCode)}"}`)).toBe(1);
    expect(await value('replspy_faults_total{fault="cut"}')).toBe(1);
  });

  it('the lag of a stopped replica grows while it is stopped, at the value of the lag events', async () => {
    const replica = lab.status.replicas[1]!;
    const port = `slave_port="${replica.port}"`;
    // under a write load, a replica that acknowledges every second is less than a second behind
    const lagSeconds = async () => (await value(`redis_connected_slave_lag_seconds{${port}}`)) ?? Infinity;
    await waitFor(async () => (await lagSeconds()) < 1, 20_000, 'replica 2 caught up');
    const from = lab.events.length;
    process.kill(replica.pid, 'SIGSTOP');
    try {
      // the lab writes 50 commands a second: the stopped replica leaves them unacknowledged
      const lag = await lab.waitEvent((e) => e.type === 'lag' && Number(e.lagMs) > 3000 && isLinkOf(e, replica.port), 30_000, 'a lag event of over 3 s', from);
      await waitFor(async () => ((await value(`redis_connected_slave_lag_seconds{${port}}`)) ?? 0) > 3, 20_000, 'the lag in Prometheus over 3 s');
      const [sample] = await prometheus.query(`redis_connected_slave_lag_seconds{${port}}`);
      const [stamp] = await prometheus.query(`timestamp(redis_connected_slave_lag_seconds{${port}})`);
      expect(sample!.labels).toMatchObject({ slave_ip: '127.0.0.1', slave_state: 'online' });
      expect(sample!.value).toBeGreaterThan(3);
      // both grow from the same moment, the first byte not acknowledged: the scrape and the event name it alike
      const stalledSinceInEvents = lag.at - Number(lag.lagMs);
      const stalledSinceInPrometheus = stamp!.value * 1000 - sample!.value * 1000;
      expect(Math.abs(stalledSinceInPrometheus - stalledSinceInEvents)).toBeLessThan(500);
      expect(await value(`replspy_replica_lag_bytes{${port}}`)).toBeGreaterThan(0);
      expect(await value(`replspy_replica_ack_silent{${port}}`)).toBe(1);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
    await waitFor(async () => (await lagSeconds()) < 1, 30_000, 'the lag back under a second once it runs again');
  });

  /** The lag event is of the link the stopped replica announced itself on. */
  function isLinkOf(e: LabEvent, port: number): boolean {
    return lab.events.some((x) => x.type === 'replica-command' && x.link === e.link && JSON.stringify(x.argv) === JSON.stringify(['REPLCONF', 'listening-port', String(port)]));
  }
});
