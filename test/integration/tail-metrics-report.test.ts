// `repl-spy tail` with `--metrics` and `--report`, as the proxy has them: the master's INFO replication is the
// oracle of the offset exported for tail's own link (one byte short of what it decoded), and the report of the
// run is written when tail stops.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sample } from '../helpers/metrics.js';
import { redisPool, requireRedis, waitFor, waitForLinkUp } from '../helpers/redis.js';
import { pipelinedSets, startTailCli, waitCaughtUp } from '../helpers/tail.js';

const hasRedis = requireRedis();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-tail-metrics-'));
const pool = redisPool();

afterAll(async () => {
  await pool.stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!hasRedis)('repl-spy tail --metrics --report', () => {
  it('serves the offset the master lists for tail, its commands and its +CONTINUE; writes the report when it stops', async () => {
    const master = await pool.start();
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    await waitForLinkUp(replica); // the master's backlog
    const report = path.join(tmp, 'tail.html');
    const tail = await startTailCli([`127.0.0.1:${master.port}`, '--metrics', '127.0.0.1:0', '--report', report]);
    try {
      const url = /metrics (http:\/\/\S+\/metrics)/.exec(tail.stderr())?.[1];
      expect(url, tail.stderr()).toBeDefined();
      await pipelinedSets(master.port, 0, 1000);
      await waitCaughtUp(tail, master);
      const series = `redis_connected_slave_offset_bytes{slave_ip="repl-spy-tail.invalid",slave_port="0",slave_state="online",master="127.0.0.1:${master.port}"}`;
      let text = '';
      let listed = '';
      // tail ACKs every second; a PING of the master may come in between, so both are read at one offset
      await waitFor(
        async () => {
          const info = await master.info('replication');
          listed = Object.values(info).find((v) => v.startsWith('ip=repl-spy-tail.invalid,')) ?? '';
          text = await (await fetch(url!)).text();
          const acked = Number(info.master_repl_offset) - 1;
          return sample(text, series) === acked && listed.includes(`offset=${acked},`);
        },
        20_000,
        `${series} and INFO replication at the master's offset - 1`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nINFO: ${listed}\n${text.split('\n').filter((l) => /^(redis_connected|replspy_links)/.test(l)).join('\n')}`);
      });
      expect(sample(text, 'replspy_links_open{kind="replica"}')).toBe(1);
      expect(sample(text, 'replspy_commands_total')).toBeGreaterThanOrEqual(1000);
      const partial = text.split('\n').filter((l) => l.startsWith('replspy_partial_syncs_total{'));
      expect(partial.reduce((n, l) => n + Number(l.split(' ').pop()), 0)).toBe(1);
      expect(text.split('\n').filter((l) => l.startsWith('replspy_full_syncs_total{'))).toEqual([]);
    } finally {
      expect((await tail.stop()).code).toBe(0);
    }
    expect(tail.stderr()).toMatch(/report .*tail\.html \(\d+ bytes\)/);
    expect(readFileSync(report, 'utf8')).toContain('<g class="link" data-link="1"');
  });
});
