// Scenario 5: latency the forward path adds per chunk. A fake master (this process) streams SET commands at a
// fixed rate to a fake replica (this process too), straight or through repl-spy (everything on). Each write is
// one chunk; its latency is from write() to the read that completes it, on the same clock. Added latency =
// proxy percentile minus direct percentile; runs alternate direct/proxy.
import net from 'node:net';
import { startProxyProcess } from '../lib/proxy.mjs';
import { encodeCommand, sleep } from '../lib/redis.mjs';
import { percentile, summary, fmt } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : 3;
const DURATION_MS = smoke ? 500 : 5_000;
const RATES = [1_000, 50_000];
/** Chunks sent this early in a run are left out (connection set-up, JIT warm-up). */
const WARM_UP_MS = smoke ? 0 : 500;

// "REDIS0010", EOF opcode, checksum 0 (= not computed): the smallest valid snapshot.
const EMPTY_RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
const ANSWER = Buffer.concat([Buffer.from(`+FULLRESYNC ${'a'.repeat(40)} 0\r\n$${EMPTY_RDB.length}\r\n`), EMPTY_RDB]);

/** A master that answers PSYNC with an empty snapshot, then writes `rate` SETs/s for DURATION_MS. */
async function startFakeMaster(rate, sent) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.once('data', async () => {
      socket.write(ANSWER);
      let offset = ANSWER.length;
      let n = 0;
      const t0 = performance.now();
      const value = Buffer.alloc(16, 'v');
      while (performance.now() - t0 < DURATION_MS) {
        const due = Math.floor(((performance.now() - t0) / 1000) * rate);
        const batch = [];
        for (; n < due; n++) batch.push(encodeCommand(['SET', `key:${n}`, value]));
        if (batch.length) {
          const chunk = Buffer.concat(batch);
          offset += chunk.length;
          sent.push([offset, performance.now(), performance.now() - t0 >= WARM_UP_MS]);
          socket.write(chunk);
        }
        await sleep(1);
      }
      socket.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

const PATHS = ['direct', 'pump', 'proxy'];

async function runOnce(rate, path) {
  const sent = [];
  const master = await startFakeMaster(rate, sent);
  const proxy = path === 'direct' ? null : await startProxyProcess(master.address().port, path === 'pump' ? 'pump' : 'full');
  const latencies = [];
  await new Promise((resolve, reject) => {
    const replica = net.connect({ host: '127.0.0.1', port: proxy ? proxy.port : master.address().port });
    replica.setNoDelay(true);
    let received = 0;
    let next = 0;
    replica.on('data', (d) => {
      const now = performance.now();
      received += d.length;
      for (; next < sent.length && sent[next][0] <= received; next++) {
        const [, at, counted] = sent[next];
        if (counted) latencies.push(now - at);
      }
    });
    replica.on('end', () => {
      replica.end();
      resolve();
    });
    replica.on('error', reject);
    replica.write('PSYNC ? -1\r\n');
    if (proxy) setTimeout(() => proxy.resetLatency(), WARM_UP_MS);
  });
  master.close();
  const stats = proxy ? await proxy.stop() : null;
  const counted = sent.filter(([, , c]) => c).length;
  if (latencies.length !== counted) throw new Error(`${path}: ${counted} chunks sent, ${latencies.length} received`);
  return {
    p50: percentile(latencies, 50) * 1000, p99: percentile(latencies, 99) * 1000, chunks: latencies.length,
    tapP50: stats?.tapUs.p50 ?? 0, tapP99: stats?.tapUs.p99 ?? 0, loopP99: stats?.loopDelayUs.p99 ?? 0,
  };
}

const rows = [];
const goals = [];
const tapP99s = [];
for (const rate of RATES) {
  const runs = { direct: [], pump: [], proxy: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const path of PATHS) {
      const r = await runOnce(rate, path);
      runs[path].push(r);
      log(`latency ${rate}/s rep ${rep + 1} ${path}: p50 ${r.p50.toFixed(0)} µs, p99 ${r.p99.toFixed(0)} µs (${r.chunks} chunks)` +
        (path === 'direct' ? '' : `; in the proxy: tap p50 ${r.tapP50.toFixed(1)} µs, p99 ${r.tapP99.toFixed(1)} µs, loop delay p99 ${r.loopP99.toFixed(0)} µs`));
    }
  }
  const s = (path, key) => summary(runs[path].map((r) => r[key]));
  const added = (path, key) => summary(runs[path].map((r, i) => r[key] - runs.direct[i][key]));
  rows.push([`${rate / 1000}k`, runs.direct[0].chunks, fmt(s('direct', 'p50'), 0), fmt(s('direct', 'p99'), 0),
    fmt(s('pump', 'p50'), 0), fmt(s('pump', 'p99'), 0), fmt(s('proxy', 'p50'), 0), fmt(s('proxy', 'p99'), 0),
    fmt(added('pump', 'p99'), 0), fmt(added('proxy', 'p50'), 0), fmt(added('proxy', 'p99'), 0),
    fmt(s('proxy', 'tapP50'), 1), fmt(s('proxy', 'tapP99'), 1), fmt(s('pump', 'loopP99'), 0), fmt(s('proxy', 'loopP99'), 0)]);
  tapP99s.push(s('proxy', 'tapP99').median);
  const addedP99 = added('proxy', 'p99').median;
  goals.push({ goal: `added p99 latency at ${rate / 1000}k commands/s under 200 µs (end to end, all on vs direct)`, value: `${addedP99.toFixed(0)} µs`, met: addedP99 < 200 });
  goals.push({ goal: `decoding's own share at ${rate / 1000}k commands/s: tap work p99 under 200 µs`, value: `${tapP99s.at(-1).toFixed(1)} µs`, met: tapP99s.at(-1) < 200 });
}

writeResult(out, {
  scenario: 'forward-latency',
  title: 'Latency added by the forward path, per chunk',
  params: { reps: REPS, durationMs: DURATION_MS, rates: RATES },
  notes: [
    `The first ${WARM_UP_MS} ms of each run are left out (set-up, JIT warm-up).`,
    'A fake master and a fake replica in one process (same clock): the master writes one chunk per millisecond tick holding the commands due; latency = from write() to the read that completes the chunk.',
    'Tap work = time the proxy spends in its wire observer (decode + capture + RDB analysis) per chunk, measured inside the proxy; it runs after the chunk is written, so it is what decoding adds before the next chunk can go. Loop delay = how late the proxy event loop ran (perf_hooks, 1 ms resolution): scheduling and GC, not decoding.',
    'Bare pump = a repl-spy process that only forwards (and taps); all on = decoding, capture and RDB analysis. Added = minus direct, per repetition (the three paths alternate). The bare pump separates the cost of one more process hop on a busy 2-core machine (scheduling) from the cost of decoding.',
  ],
  tables: [{
    title: `Per-chunk latency in µs, 16-byte SETs, ${DURATION_MS / 1000} s per run, ${REPS} repetitions`,
    columns: ['commands/s', 'chunks/run', 'direct p50', 'direct p99', 'bare pump p50', 'bare pump p99', 'all on p50', 'all on p99',
      'added p99 bare pump', 'added p50 all on', 'added p99 all on', 'tap work p50 (all on)', 'tap work p99 (all on)',
      'loop delay p99 pump', 'loop delay p99 all on'],
    rows,
  }],
  goals,
});
