// `--metrics` and `--report` on the proxy with real servers (Redis is the oracle of the exported offset), their
// usage errors, and `repl-spy report` of files that are not whole captures.
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCliProxy } from '../helpers/cli.js';
import { sample } from '../helpers/metrics.js';
import { redisPool, requireRedis, startReplicaThrough, waitFor, waitForLinkUp } from '../helpers/redis.js';

const hasRedis = requireRedis();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-metrics-cli-'));
const pool = redisPool();

afterAll(async () => {
  await pool.stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

describe('usage', () => {
  it('a bad --metrics address exits 2; a port in use exits 3 and leaves no capture behind', async () => {
    const bad = runCli(['--listen', '0', '--upstream', '127.0.0.1:6379', '--metrics', 'abc', '--no-capture']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toMatch(/bad address "abc"/);
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const capture = path.join(tmp, 'never.rspy');
    try {
      const run = runCli(['--listen', '0', '--upstream', '127.0.0.1:6379', '--metrics', String(port), '--capture', capture]);
      expect((await run.exited).code).toBe(3);
      expect(run.stderr()).toContain(`--metrics: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(existsSync(capture)).toBe(false);
    } finally {
      busy.close();
    }
  });

  it('report: a file that is not a capture exits 1 naming it, a missing one exits 2', async () => {
    const junk = path.join(tmp, 'junk.rspy');
    writeFileSync(junk, 'not a capture at all\n');
    const notCapture = runCli(['report', junk, '-o', path.join(tmp, 'junk.html')]);
    expect((await notCapture.exited).code).toBe(1);
    expect(notCapture.stderr()).toContain(junk);
    const missing = runCli(['report', path.join(tmp, 'missing.rspy')]);
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toMatch(/missing\.rspy: no such file or directory/);
  });
});

describe.skipIf(!hasRedis)('the proxy with --metrics and --report', () => {
  it("serves the replica's acknowledged offset as INFO replication states it, writes the report at exit; a cut capture is reported up to the cut", async () => {
    const master = await pool.start();
    const report = path.join(tmp, 'proxy.html');
    const capture = path.join(tmp, 'proxy.rspy');
    const proxy = await startCliProxy(master.port, ['--no-tui', '--metrics', '127.0.0.1:0', '--report', report, '--capture', capture]);
    const url = /metrics (http:\/\/\S+\/metrics)/.exec(proxy.stderr())![1]!;
    const replica = await startReplicaThrough(proxy.port);
    try {
      await waitForLinkUp(replica);
      for (let i = 0; i < 50; i++) await master.cmd('SET', `k:${i}`, 'v');
      const offset = Number((await master.info('replication')).master_repl_offset);
      await waitFor(async () => Number((await replica.info('replication')).slave_repl_offset) === offset, 20_000, 'the replica caught up');
      // the replica ACKs every second: the metric and the master's INFO both reach the offset
      const series = `redis_connected_slave_offset_bytes{slave_ip="127.0.0.1",slave_port="${replica.port}",slave_state="online",master="127.0.0.1:${master.port}"}`;
      let text = '';
      await waitFor(async () => sample((text = await (await fetch(url)).text()), series) === offset, 20_000, `${series} = ${offset}`);
      const info = await master.info('replication');
      expect(info.slave0).toContain(`offset=${offset}`);
      expect(sample(text, 'replspy_links_open{kind="replica"}')).toBe(1);
      const fullSyncs = text.split('\n').filter((l) => l.startsWith('replspy_full_syncs_total{'));
      expect(fullSyncs.reduce((n, l) => n + Number(l.split(' ').pop()), 0)).toBe(1);
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
    } finally {
      await replica.stop();
      expect((await proxy.stop()).code).toBe(0);
    }
    expect(proxy.stderr()).toMatch(/report .*proxy\.html \(\d+ bytes\)/);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('<g class="link" data-link="1"');
    expect(statSync(report).mode & 0o777).toBe(0o600);

    // a capture cut in the middle: the report covers what is before the cut, and the exit says it is damaged
    const cut = path.join(tmp, 'cut.rspy');
    writeFileSync(cut, readFileSync(capture));
    truncateSync(cut, Math.floor(statSync(cut).size * 0.6));
    const damaged = runCli(['report', cut, '-o', path.join(tmp, 'cut.html')]);
    expect((await damaged.exited).code).toBe(1);
    expect(damaged.stderr()).toMatch(/cut\.html/);
    expect(readFileSync(path.join(tmp, 'cut.html'), 'utf8')).toContain('<g class="link" data-link="1"');
  });
});
