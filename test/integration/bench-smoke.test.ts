// The benchmarks in smoke mode: every scenario runs on tiny data and reports numbers. Nothing about speed is
// asserted here (numbers live in bench/RESULTS.md); this only keeps the benchmarks working.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireRedis } from '../helpers/redis.js';
import { repoRoot } from '../helpers/repo-root.js';

const hasRedis = requireRedis();
const SCENARIOS = ['decoder-throughput', 'output-throughput', 'rdb-decode', 'forward-latency', 'client-throughput', 'sustained-writes', 'capture-cost', 'full-sync', 'full-sync-tls', 'cluster-full-sync', 'memory', 'pcap-decode', 'report'];
// The scenarios spawn these from PATH (not REDIS_SERVER_BIN); haproxy is their reference proxy, tcpdump and
// tshark the references of passive mode, tmux the terminal of the TUI as users run it.
const TOOLS = ['redis-server', 'redis-cli', 'redis-benchmark', 'redis-check-rdb', 'haproxy', 'tcpdump', 'tshark', 'tmux'];

describe.skipIf(!hasRedis)('bench --smoke', () => {
  it('runs every scenario to completion with numbers in its result', { timeout: 180_000 }, async () => {
    expect(existsSync(path.join(repoRoot, 'dist/decode/pipeline.js')), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const missing = TOOLS.filter((tool) => spawnSync(tool, ['--version']).error);
    expect(missing, 'not on PATH: install redis-server, redis-tools, haproxy, tcpdump, tshark and tmux').toEqual([]);
    const run = await promisify(execFile)(process.execPath, ['bench/run.mjs', '--smoke', '--no-write'], { cwd: repoRoot }).catch(
      (err: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`bench smoke failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
      },
    );
    for (const name of SCENARIOS) expect(run.stdout).toMatch(new RegExp(`^ok +${name} `, 'm'));
  });
});
