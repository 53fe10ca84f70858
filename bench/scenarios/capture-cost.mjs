// Scenario: what the capture writer costs. One replica streams through repl-spy while redis-benchmark writes
// SETs with 1 KiB values at the master's maximum rate; the three proxy variants differ only by one layer:
// bare pump, + decode (capture off), + decode + capture (capture on). Every repetition runs the variants back
// to back (interleaved), each with a fresh proxy process and replica. Measured: stream throughput through the
// proxy (replication bytes from the start of the load until the replica has processed all of them), the
// proxy's CPU, and what the capture wrote or dropped (a drop would make a faster number dishonest).
import { startRedis, startReplicaOf, replicaOffset, sleep } from '../lib/redis.mjs';
import { startProxyProcess } from '../lib/proxy.mjs';
import { redisBenchmarkSets } from '../lib/load.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : Number(process.env.BENCH_CAPTURE_REPS ?? 5);
const REQUESTS = smoke ? 20_000 : Number(process.env.BENCH_CAPTURE_REQUESTS ?? 300_000);
const VALUE_BYTES = 1024;
const VARIANTS = ['pump', 'decode', 'capture'];
const LABEL = { pump: 'bare pump', decode: '+ decode (capture off)', capture: '+ decode + capture (capture on)' };

async function runOnce(master, mode) {
  // every run starts from an empty dataset, so each full sync (captured too) is small and alike
  await master.cmd('FLUSHALL');
  const proxy = await startProxyProcess(master.port, mode);
  const replica = await startReplicaOf(proxy.port);
  const masterPoll = await master.connect();
  const replicaPoll = await replica.connect();
  try {
    const startOffset = await replicaOffset(masterPoll);
    const cpu0 = (await proxy.stats()).cpuMs;
    const t0 = performance.now();
    await redisBenchmarkSets(master.port, { requests: REQUESTS, valueBytes: VALUE_BYTES });
    const endOffset = await replicaOffset(masterPoll);
    while ((await replicaOffset(replicaPoll)) < endOffset) await sleep(1);
    const seconds = (performance.now() - t0) / 1000;
    const stats = await proxy.stats();
    return {
      streamMB: mb(endOffset - startOffset),
      mbPerSec: mb(endOffset - startOffset) / seconds,
      seconds,
      cpuPct: ((stats.cpuMs - cpu0) / 1000 / seconds) * 100,
      captureMB: mb(stats.captureBytes),
      droppedMB: mb(stats.captureDropped),
    };
  } finally {
    masterPoll.close();
    replicaPoll.close();
    await replica.stop();
    await proxy.stop();
  }
}

const master = await startRedis();
const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const v of VARIANTS) {
      const r = await runOnce(master, v);
      runs[v].push(r);
      log(`capture-cost rep ${rep + 1} ${v}: ${r.streamMB.toFixed(0)} MB in ${r.seconds.toFixed(2)} s = ${r.mbPerSec.toFixed(1)} MB/s, ` +
        `proxy CPU ${r.cpuPct.toFixed(0)}%` + (v === 'capture' ? `, capture ${r.captureMB.toFixed(0)} MB written, ${r.droppedMB.toFixed(1)} MB dropped` : ''));
    }
  }
} finally {
  await master.stop();
}

const s = (v, f, d) => fmt(summary(runs[v].map(f)), d);
const ratio = (v) => fmt(summary(runs[v].map((r, i) => r.mbPerSec / runs.decode[i].mbPerSec)), 3);
const onVsOff = summary(runs.capture.map((r, i) => r.mbPerSec / runs.decode[i].mbPerSec));
const dropped = Math.max(...runs.capture.map((r) => r.droppedMB));

writeResult(out, {
  scenario: 'capture-cost',
  title: 'Capture writer cost: stream throughput through repl-spy with capture on vs off',
  params: { reps: REPS, requests: REQUESTS, valueBytes: VALUE_BYTES },
  notes: [
    'Throughput = replication bytes of the load / time from its start until the replica processed all of them; it includes the master\'s own speed, so ratios matter more than MB/s.',
    'Variants run interleaved (pump, decode, capture in every repetition), each with a fresh proxy process and replica; ratio = against "+ decode" of the same repetition.',
    'Dropped = bytes the capture left out (queue full or disk failure), recorded as gaps. Non-zero means the disk did not keep up.',
  ],
  tables: [
    {
      title: `redis-benchmark SET, ${VALUE_BYTES} B values, ${REQUESTS} requests, ${REPS} interleaved repetitions`,
      columns: ['proxy', 'MB/s', 'ratio vs capture off', 'proxy CPU %', 'capture written MB', 'capture dropped MB'],
      rows: VARIANTS.map((v) => [
        LABEL[v],
        s(v, (r) => r.mbPerSec, 1),
        v === 'decode' ? '1' : ratio(v),
        s(v, (r) => r.cpuPct, 0),
        v === 'capture' ? s(v, (r) => r.captureMB, 0) : '',
        v === 'capture' ? s(v, (r) => r.droppedMB, 1) : '',
      ]),
    },
  ],
  goals: [
    { goal: 'capture on vs off: throughput ratio >= 0.95', value: onVsOff.median.toFixed(3), met: onVsOff.median >= 0.95 },
    { goal: 'capture dropped nothing', value: `${dropped.toFixed(1)} MB`, met: dropped === 0 },
  ],
});
