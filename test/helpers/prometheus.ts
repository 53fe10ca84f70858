// A real Prometheus server for the metrics tests: started on a free loopback port with a generated config that
// scrapes the given targets every second, its storage in a temporary directory; PromQL through its HTTP API.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './redis.js';
import { requireTool } from './require-tool.js';

function findPrometheus(): string | null {
  const bin = process.env.PROMETHEUS_BIN || 'prometheus';
  return spawnSync(bin, ['--version']).error === undefined ? bin : null;
}

/** True when prometheus runs; without it the tests skip loudly, and under CI they fail. */
export function requirePrometheus(): boolean {
  return requireTool(findPrometheus() ? null : 'prometheus not found (apt-get install prometheus, or set PROMETHEUS_BIN)', 'the Prometheus tests');
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  url: string;
  /** An instant PromQL query: the samples of its vector. */
  query(promql: string): Promise<Sample[]>;
  /** Resolves once every target was scraped successfully. */
  targetsUp(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: string[]): Promise<PrometheusServer> {
  const bin = findPrometheus();
  if (!bin) throw new Error('prometheus not found');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: repl-spy',
      '    static_configs:',
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const proc: ChildProcess = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${url}${p}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${p}: ${body.error ?? res.status}`);
    return body.data;
  };
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`prometheus exited (${proc.exitCode}): ${log}`);
        return (await fetch(`${url}/-/ready`).catch(() => null))?.ok === true;
      },
      30_000,
      `prometheus ready on ${url}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async query(promql) {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`);
      return data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
    },
    async targetsUp(timeoutMs) {
      await waitFor(
        async () => {
          const data = await api<{ activeTargets: { health: string }[] }>('/api/v1/targets');
          return data.activeTargets.length === targets.length && data.activeTargets.every((t) => t.health === 'up');
        },
        timeoutMs,
        `prometheus scraping ${targets.join(', ')}`,
      );
    },
    stop,
  };
}
