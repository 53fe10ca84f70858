// Scenario 2: the master at its maximum pipelined write rate (redis-benchmark -t set -n 1000000 -P 16 -c 50 -d 100)
// with one real replica, on each path in turn: direct, haproxy (the reference proxy), repl-spy as a bare Node pump,
// and the real repl-spy command as users run it, everything on, in each output mode (--json > file, --no-tui >
// file, the TUI under tmux). Per run: the master's rate, the replica's lag during the load, how long it takes to
// catch up once the load ends, and the proxy's CPU and peak RSS; for the file outputs, what the observers lost (gap
// events of the tap). The paths alternate within each repetition, so machine drift hits them alike. With
// BENCH_BASE=<a built checkout> the same command from there runs too ("before", side by side).
import { startRedis, startReplicaOf, replicaOffset, sleep } from '../lib/redis.mjs';
import { startPath, withBase } from '../lib/proxy.mjs';
import { requireHaproxy } from '../lib/haproxy.mjs';
import { requireTmux } from '../lib/cli-proxy.mjs';
import { redisBenchmarkSets, steadySets } from '../lib/load.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : Number(process.env.BENCH_WRITES_REPS ?? 3);
const MAX_REQUESTS = smoke ? 20_000 : Number(process.env.BENCH_WRITES_REQUESTS ?? 1_000_000);
const STEADY_RATE = 50_000;
const STEADY_MS = smoke ? 1_000 : Number(process.env.BENCH_WRITES_STEADY_MS ?? 10_000);
const CATCH_UP_GOAL_MS = 10;
/** BENCH_WRITES_PATHS=pump,cli-json: only these paths (and direct, which the ratios need) */
const ONLY = process.env.BENCH_WRITES_PATHS?.split(',');
const paths = (list) => withBase(list).filter((p) => !ONLY || p === 'direct' || p === 'pump' || ONLY.includes(p));

const LABEL = {
  direct: 'direct', haproxy: 'haproxy (C)', pump: 'repl-spy bare pump',
  'cli-json': 'repl-spy --json > file', 'cli-text': 'repl-spy --no-tui > file', 'cli-tui': 'repl-spy TUI (tmux)',
};
const label = (path) => (path.endsWith('@base') ? `${LABEL[path.slice(0, -5)]}, before` : LABEL[path]);

/** Runs `load` with a replica attached through `path` and measures lag and catch-up. */
async function runOnce(master, path, load) {
  const proxy = await startPath(path, master.port);
  const replica = await startReplicaOf(proxy ? proxy.port : master.port);
  const masterPoll = await master.connect();
  const replicaPoll = await replica.connect();
  const masterAtEnd = await master.connect();
  try {
    const cpu0 = proxy?.stats ? (await proxy.stats()).cpuMs : 0;
    const lagSamples = []; // bytes
    let loading = true;
    const t0 = performance.now();
    const sampler = (async () => {
      while (loading) {
        const m = await replicaOffset(masterPoll);
        const r = await replicaOffset(replicaPoll);
        lagSamples.push(Math.max(0, m - r));
        await sleep(100);
      }
    })();
    const rate = await load();
    const tEnd = performance.now();
    loading = false;
    // The master's offset when the load ended; the replica has caught up once it has processed that much.
    const target = await replicaOffset(masterAtEnd);
    const replicaCatchUp = await replica.connect();
    let lagAtEnd = null;
    for (;;) {
      const r = await replicaOffset(replicaCatchUp);
      lagAtEnd ??= Math.max(0, target - r);
      if (r >= target) break;
      if (performance.now() - tEnd > 60_000) throw new Error(`${path}: the replica did not catch up within 60 s`);
    }
    const catchUpMs = performance.now() - tEnd;
    replicaCatchUp.close();
    await sampler;
    const loadMs = tEnd - t0;
    const cpuMs = proxy?.stats ? (await proxy.stats()).cpuMs - cpu0 : null;
    const final = proxy ? await proxy.stop() : null;
    return {
      rate, loadMs, lagAtEnd, catchUpMs, lagMax: Math.max(0, ...lagSamples),
      proxyCpuPct: cpuMs === null ? null : (cpuMs / loadMs) * 100,
      maxRss: final?.maxRss ?? null,
      tapGapBytes: final?.tapGapBytes ?? null, tapGaps: final?.tapGaps ?? null, lines: final?.lines ?? null,
    };
  } finally {
    masterPoll.close();
    replicaPoll.close();
    masterAtEnd.close();
    await replica.stop();
  }
}

const loads = Object.fromEntries(Object.entries({
  max: {
    title: `redis-benchmark -t set -n ${MAX_REQUESTS} -P 16 -c 50 -d 100 (the master's max pipelined write rate)`,
    run: (port) => redisBenchmarkSets(port, { requests: MAX_REQUESTS, valueBytes: 100, pipeline: 16, clients: 50, keyspace: null }),
    paths: paths(['direct', 'haproxy', 'pump', 'cli-json', 'cli-text', 'cli-tui']),
  },
  steady: {
    title: `steady ${STEADY_RATE} SET/s for ${STEADY_MS / 1000} s (16-byte values)`,
    run: (port) => steadySets(port, { perSecond: STEADY_RATE, durationMs: STEADY_MS }),
    paths: paths(['direct', 'pump', 'cli-json']),
  },
}).filter(([name]) => !process.env.BENCH_WRITES_LOADS || process.env.BENCH_WRITES_LOADS.split(',').includes(name)));

requireHaproxy();
requireTmux();
const tables = [];
const goals = [];
const master = await startRedis();
try {
  for (const [name, load] of Object.entries(loads)) {
    const runs = Object.fromEntries(load.paths.map((p) => [p, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const path of load.paths) {
        const r = await runOnce(master, path, () => load.run(master.port));
        runs[path].push(r);
        log(`writes ${name} rep ${rep + 1} ${path}: ${Math.round(r.rate)} SET/s, max lag ${(r.lagMax / 1024).toFixed(0)} KiB, catch-up ${r.catchUpMs.toFixed(1)} ms` +
          (r.proxyCpuPct !== null ? `, proxy CPU ${r.proxyCpuPct.toFixed(0)}%` : '') + (r.tapGapBytes ? `, observers lost ${mb(r.tapGapBytes).toFixed(1)} MB in ${r.tapGaps} gaps` : ''));
      }
    }
    // ratios per repetition: against the direct run and the bare pump's run of the same repetition
    const ratio = (path, to) => summary(runs[path].map((r, i) => r.rate / runs[to][i].rate));
    const row = (path) => {
      const rs = runs[path];
      const s = (f, d) => fmt(summary(rs.map(f)), d);
      const proxied = path !== 'direct';
      return [label(path), s((r) => r.rate / 1000, 0), fmt(ratio(path, 'direct'), 2), proxied && runs.pump ? fmt(ratio(path, 'pump'), 2) : '',
        s((r) => r.lagMax / 1024, 0), s((r) => r.lagAtEnd / 1024, 1), s((r) => r.catchUpMs, 1),
        rs[0].proxyCpuPct !== null ? s((r) => r.proxyCpuPct, 0) : '', rs[0].maxRss !== null ? s((r) => mb(r.maxRss), 0) : '',
        rs[0].tapGapBytes !== null ? s((r) => mb(r.tapGapBytes), 1) : ''];
    };
    tables.push({
      title: `Sustained writes: ${load.title}, ${REPS} interleaved repetitions`,
      columns: ['path', 'master k SET/s', 'vs direct', 'vs bare pump', 'replica max lag KiB', 'lag at end KiB', 'catch-up ms', 'proxy CPU %', 'proxy peak RSS MB', 'observers lost MB (gaps)'],
      rows: load.paths.map(row),
    });
    const pumpLag = summary(runs.pump.map((r) => r.lagMax)).median;
    for (const path of load.paths.filter((p) => p.startsWith('cli-') && !p.endsWith('@base'))) {
      const catchUp = summary(runs[path].map((r) => r.catchUpMs));
      const vsPump = ratio(path, 'pump');
      const lag = summary(runs[path].map((r) => r.lagMax)).median;
      goals.push({ goal: `${name} load, ${label(path)}: catch-up <= ${CATCH_UP_GOAL_MS} ms`, value: `${catchUp.median.toFixed(1)} ms (max ${catchUp.max.toFixed(1)})`, met: catchUp.median <= CATCH_UP_GOAL_MS });
      goals.push({ goal: `${name} load, ${label(path)}: master ops/s >= 0.95x the bare pump's`, value: `${vsPump.median.toFixed(2)}x`, met: vsPump.median >= 0.95 });
      goals.push({ goal: `${name} load, ${label(path)}: replica max lag within the bare pump's (<= 1.25x + 256 KiB)`, value: `${(lag / 1024).toFixed(0)} KiB (pump ${(pumpLag / 1024).toFixed(0)})`, met: lag <= pumpLag * 1.25 + 256 * 1024 });
    }
  }
} finally {
  await master.stop();
}

writeResult(out, {
  scenario: 'sustained-writes',
  title: 'Sustained writes: the replica behind each path, the real command in every output mode',
  params: { reps: REPS, maxRequests: MAX_REQUESTS, steadyRate: STEADY_RATE, steadyMs: STEADY_MS, base: process.env.BENCH_BASE ? 'yes' : 'no' },
  notes: [
    'Lag = master_repl_offset of the master minus that of the replica, sampled every 100 ms during the load (two INFO calls, so a sample can overstate lag by what the master wrote in between).',
    'Catch-up = from the end of the load until the replica has processed the offset the master had at that moment (polled back to back).',
    'repl-spy --json / --no-tui / TUI = the real command (dist/cli.js) with its defaults: decoding, RDB analysis with checksum, capture file; the output into a file, the TUI in a 120x40 tmux window. Bare pump = a repl-spy proxy that only forwards. Proxy CPU = the process\'s utime + stime over the load, in % of one core; peak RSS = its VmHWM.',
    'Observers lost = bytes the decoders could not take in time and were given as `gap` events (reason tap-overflow) in the output: what falls behind is the output, never the replica.',
    '"before" rows (with BENCH_BASE) run the same command from the checkout before the change.',
  ],
  tables,
  goals,
});
