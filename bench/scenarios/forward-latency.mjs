// Scenario 5: latency the forward path adds per chunk. A fake master (this process) streams SET commands at a
// fixed rate to a fake replica in its own process, straight, through haproxy (the reference: one proxy hop
// written in C), through repl-spy as a bare pump, and through repl-spy with everything on. Each write is one
// chunk; its latency runs from write() in the master to the read that completes it in the replica, both on
// the machine's monotonic clock. Added latency = path percentile minus direct percentile, per repetition;
// the paths alternate within a repetition.
import { fork } from 'node:child_process';
import net from 'node:net';
import { startProxyProcess } from '../lib/proxy.mjs';
import { requireHaproxy, startHaproxy } from '../lib/haproxy.mjs';
import { encodeCommand, sleep } from '../lib/redis.mjs';
import { percentile, summary, fmt } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : 5;
const DURATION_MS = smoke ? 500 : 5_000;
const RATES = [1_000, 50_000];
/** Chunks sent this early in a run are left out (connection set-up, JIT warm-up). */
const WARM_UP_MS = smoke ? 0 : 500;
const REPLICA = new URL('../lib/latency-replica.mjs', import.meta.url);

// "REDIS0010", EOF opcode, checksum 0 (= not computed): the smallest valid snapshot.
const EMPTY_RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
const ANSWER = Buffer.concat([Buffer.from(`+FULLRESYNC ${'a'.repeat(40)} 0\r\n$${EMPTY_RDB.length}\r\n`), EMPTY_RDB]);

const monotonicNs = () => Number(process.hrtime.bigint());

/** A master that answers PSYNC with an empty snapshot, then writes `rate` SETs/s for DURATION_MS.
 *  `sent` gets [stream offset after the chunk, write time ns, counted] per chunk. */
async function startFakeMaster(rate, sent) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    // haproxy's readiness probe opens a connection it then resets; a broken replica link shows as missing chunks
    socket.on('error', () => {});
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
          sent.push([offset, monotonicNs(), performance.now() - t0 >= WARM_UP_MS]);
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

/** Runs the fake replica process against `port`; resolves with its [bytes received, time ns] marks. */
function runReplica(port) {
  const child = fork(REPLICA, [String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', ({ marks }) => resolve(marks));
    child.once('exit', (code) => code !== 0 && reject(new Error(`latency replica exited (${code})`)));
  });
}

const PATHS = ['direct', 'haproxy', 'pump', 'proxy'];

async function startPath(path, masterPort) {
  if (path === 'haproxy') return startHaproxy(masterPort);
  return startProxyProcess(masterPort, path === 'pump' ? 'pump' : 'full');
}

async function runOnce(rate, path) {
  const sent = [];
  const master = await startFakeMaster(rate, sent);
  const via = path === 'direct' ? null : await startPath(path, master.address().port);
  if (via?.resetLatency) setTimeout(() => via.resetLatency(), WARM_UP_MS);
  const marks = await runReplica(via ? via.port : master.address().port);
  master.close();
  const stats = via ? await via.stop() : null;
  // each chunk is complete at the first read that brings the replica to its end offset
  const latencies = [];
  let m = 0;
  for (const [offset, at, counted] of sent) {
    while (m < marks.length && marks[m][0] < offset) m++;
    if (m === marks.length) throw new Error(`${path}: the replica did not receive the chunk ending at offset ${offset}`);
    if (counted) latencies.push((marks[m][1] - at) / 1000);
  }
  return {
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), chunks: latencies.length,
    tapP50: stats?.tapUs?.p50 ?? 0, tapP99: stats?.tapUs?.p99 ?? 0,
  };
}

requireHaproxy();
const rows = [];
const goals = [];
for (const rate of RATES) {
  const runs = Object.fromEntries(PATHS.map((p) => [p, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const path of PATHS) {
      const r = await runOnce(rate, path);
      runs[path].push(r);
      log(`latency ${rate}/s rep ${rep + 1} ${path}: p50 ${r.p50.toFixed(0)} µs, p99 ${r.p99.toFixed(0)} µs (${r.chunks} chunks)` +
        (path === 'proxy' ? `; in the proxy: tap p50 ${r.tapP50.toFixed(1)} µs, p99 ${r.tapP99.toFixed(1)} µs` : ''));
    }
  }
  const s = (path, key) => summary(runs[path].map((r) => r[key]));
  const minus = (path, base, key) => summary(runs[path].map((r, i) => r[key] - runs[base][i][key]));
  rows.push([`${rate / 1000}k`, runs.direct[0].chunks,
    fmt(s('direct', 'p50'), 0), fmt(s('direct', 'p99'), 0), fmt(s('haproxy', 'p50'), 0), fmt(s('haproxy', 'p99'), 0),
    fmt(s('pump', 'p50'), 0), fmt(s('pump', 'p99'), 0), fmt(s('proxy', 'p50'), 0), fmt(s('proxy', 'p99'), 0),
    fmt(minus('haproxy', 'direct', 'p99'), 0), fmt(minus('pump', 'direct', 'p99'), 0), fmt(minus('proxy', 'direct', 'p50'), 0),
    fmt(minus('proxy', 'direct', 'p99'), 0), fmt(minus('proxy', 'pump', 'p99'), 0),
    fmt(s('proxy', 'tapP50'), 1), fmt(s('proxy', 'tapP99'), 1)]);
  const addedP99 = minus('proxy', 'direct', 'p99').median;
  const tapP99 = s('proxy', 'tapP99').median;
  goals.push({ goal: `added p99 latency at ${rate / 1000}k commands/s under 200 µs (end to end, all on vs direct)`, value: `${addedP99.toFixed(0)} µs`, met: addedP99 < 200 });
  goals.push({ goal: `reference at ${rate / 1000}k commands/s: added p99 of haproxy (C) in the same run (no goal of its own)`, value: `${minus('haproxy', 'direct', 'p99').median.toFixed(0)} µs`, met: null });
  goals.push({ goal: `decoding's own share at ${rate / 1000}k commands/s: tap work p99 under 200 µs`, value: `${tapP99.toFixed(1)} µs`, met: tapP99 < 200 });
}

writeResult(out, {
  scenario: 'forward-latency',
  title: 'Latency added by the forward path, per chunk',
  params: { reps: REPS, durationMs: DURATION_MS, rates: RATES },
  notes: [
    `The first ${WARM_UP_MS} ms of each run are left out (set-up, JIT warm-up).`,
    'The fake master writes one chunk per millisecond tick holding the commands due; the fake replica is its own process (a real replica is): latency = from write() in the master to the read that completes the chunk in the replica, on the monotonic clock both processes share.',
    'haproxy = haproxy in TCP mode, the reference: what one proxy hop written in C costs on this machine in the same run. Bare pump = a repl-spy process that only forwards; all on = decoding, capture and RDB analysis. Added = minus direct (or minus the bare pump), per repetition; the four paths alternate.',
    'Tap work = time the proxy spends in its wire observer (decode + capture + RDB analysis) per chunk, measured inside the proxy; it runs after the chunk is written, so it is what decoding can add before the next chunk goes.',
  ],
  tables: [{
    title: `Per-chunk latency in µs, 16-byte SETs, ${DURATION_MS / 1000} s per run, ${REPS} repetitions`,
    columns: ['commands/s', 'chunks/run', 'direct p50', 'direct p99', 'haproxy p50', 'haproxy p99', 'bare pump p50', 'bare pump p99',
      'all on p50', 'all on p99', 'added p99 haproxy', 'added p99 bare pump', 'added p50 all on', 'added p99 all on',
      'all on minus bare pump p99', 'tap work p50 (all on)', 'tap work p99 (all on)'],
    rows,
  }],
  goals,
});
