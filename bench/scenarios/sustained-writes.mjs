// Scenario 2: sustained writes on the master, replica direct vs through repl-spy (everything on): replica lag
// during and at the end of the load, time to catch up once it ends, and the proxy's CPU. Direct and proxy runs
// alternate (ABAB) so machine drift hits both alike.
import { startRedis, startReplicaOf, replicaOffset, sleep } from '../lib/redis.mjs';
import { startProxyProcess } from '../lib/proxy.mjs';
import { redisBenchmarkSets, steadySets } from '../lib/load.mjs';
import { summary, fmt } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : Number(process.env.BENCH_WRITES_REPS ?? 3);
const MAX_REQUESTS = smoke ? 20_000 : Number(process.env.BENCH_WRITES_REQUESTS ?? 2_000_000);
const STEADY_RATE = 50_000;
const STEADY_MS = smoke ? 1_000 : Number(process.env.BENCH_WRITES_STEADY_MS ?? 10_000);

/** Runs `load` with a replica attached (direct or through a proxy) and measures lag and catch-up. */
async function runOnce(master, path, load) {
  const proxy = path === 'proxy' ? await startProxyProcess(master.port, 'full') : null;
  const replica = await startReplicaOf(proxy ? proxy.port : master.port);
  const masterPoll = await master.connect();
  const replicaPoll = await replica.connect();
  const masterAtEnd = await master.connect();
  try {
    const cpu0 = proxy ? (await proxy.stats()).cpuMs : 0;
    const lagSamples = []; // [ms since start, bytes]
    let loading = true;
    const t0 = performance.now();
    const sampler = (async () => {
      while (loading) {
        const m = await replicaOffset(masterPoll);
        const r = await replicaOffset(replicaPoll);
        lagSamples.push([performance.now() - t0, Math.max(0, m - r)]);
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
      if (performance.now() - tEnd > 60_000) throw new Error('replica did not catch up within 60 s');
    }
    const catchUpMs = performance.now() - tEnd;
    replicaCatchUp.close();
    await sampler;
    const loadMs = tEnd - t0;
    const cpuMs = proxy ? (await proxy.stats()).cpuMs - cpu0 : 0;
    const half = lagSamples.filter(([t]) => t >= loadMs / 2).map(([, b]) => b);
    const firstHalf = lagSamples.filter(([t]) => t < loadMs / 2).map(([, b]) => b);
    return {
      rate, loadMs, lagAtEnd, catchUpMs,
      lagMaxFirstHalf: Math.max(0, ...firstHalf), lagMaxSecondHalf: Math.max(0, ...half),
      proxyCpuPct: proxy ? (cpuMs / loadMs) * 100 : null,
    };
  } finally {
    masterPoll.close();
    replicaPoll.close();
    masterAtEnd.close();
    await replica.stop();
    if (proxy) await proxy.stop();
  }
}

const loads = {
  max: {
    title: `redis-benchmark SET at max rate (${MAX_REQUESTS} requests, 16-byte values, -P 32, 50 clients)`,
    run: (port) => redisBenchmarkSets(port, { requests: MAX_REQUESTS }),
  },
  steady: {
    title: `steady ${STEADY_RATE} SET/s for ${STEADY_MS / 1000} s (16-byte values)`,
    run: (port) => steadySets(port, { perSecond: STEADY_RATE, durationMs: STEADY_MS }),
  },
};

const tables = [];
const goals = [];
const master = await startRedis();
try {
  for (const [name, load] of Object.entries(loads)) {
    const runs = { direct: [], proxy: [] };
    for (let rep = 0; rep < REPS; rep++) {
      for (const path of ['direct', 'proxy']) {
        const r = await runOnce(master, path, () => load.run(master.port));
        runs[path].push(r);
        log(`writes ${name} rep ${rep + 1} ${path}: ${Math.round(r.rate)} SET/s, lag at end ${r.lagAtEnd} B, catch-up ${r.catchUpMs.toFixed(1)} ms` +
          (r.proxyCpuPct !== null ? `, proxy CPU ${r.proxyCpuPct.toFixed(0)}%` : ''));
      }
    }
    const row = (path) => {
      const rs = runs[path];
      const s = (f, d) => fmt(summary(rs.map(f)), d);
      return [path, s((r) => r.rate / 1000, 0), s((r) => r.lagMaxFirstHalf / 1024, 0), s((r) => r.lagMaxSecondHalf / 1024, 0),
        s((r) => r.lagAtEnd / 1024, 1), s((r) => r.catchUpMs, 1), path === 'proxy' ? s((r) => r.proxyCpuPct, 0) : ''];
    };
    tables.push({
      title: `Sustained writes: ${load.title}, ${REPS} interleaved repetitions`,
      columns: ['path', 'master k SET/s', 'max lag 1st half KiB', 'max lag 2nd half KiB', 'lag at end KiB', 'catch-up ms', 'proxy CPU %'],
      rows: [row('direct'), row('proxy')],
    });
    const catchUp = summary(runs.proxy.map((r) => r.catchUpMs));
    goals.push({ goal: `${name} load: proxy catches up within 100 ms of the end`, value: `${catchUp.median.toFixed(1)} ms (max ${catchUp.max.toFixed(1)})`, met: catchUp.max <= 100 });
  }
} finally {
  await master.stop();
}

writeResult(out, {
  scenario: 'sustained-writes',
  title: 'Sustained writes: replica lag and catch-up',
  params: { reps: REPS, maxRequests: MAX_REQUESTS, steadyRate: STEADY_RATE, steadyMs: STEADY_MS },
  notes: [
    'Lag = master_repl_offset of the master minus that of the replica, sampled every 100 ms during the load (two INFO calls, so a sample can overstate lag by what the master wrote in between).',
    'Catch-up = from the end of the load until the replica has processed the offset the master had at that moment (polled back to back).',
    'Proxy = a fresh repl-spy process with decoding, capture and RDB analysis on; CPU % of one core over the load.',
  ],
  tables,
  goals,
});
