// Scenario 5: latency the forward path adds per chunk, measured in pairs. A fake master (this process) streams
// SET commands at a fixed rate to two fake replicas at once, the same chunk to both at the same tick: one link
// straight, the other through the path under test: haproxy (the reference: one proxy hop written in C),
// repl-spy as a bare pump, or the real repl-spy command with everything on (`--json > file`: decoding, RDB
// analysis, capture, the output). Both replicas live in one process of their own. With BENCH_BASE=<a built
// checkout> its pump and command run too ("before", side by side).
// A chunk's latency runs from its write() in the master to the read that completes it in the replica, on the
// machine's monotonic clock; the added latency of a chunk is its latency through the path minus its latency
// on the direct link. What stalls the master, the replicas or the whole machine delays both links alike and
// cancels out; what is left is the hop: the proxy process waking up, its work, and its scheduling.
import { fork } from 'node:child_process';
import net from 'node:net';
import { startPath, withBase } from '../lib/proxy.mjs';
import { requireHaproxy } from '../lib/haproxy.mjs';
import { encodeCommand, sleep } from '../lib/redis.mjs';
import { percentile, summary, fmt } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : 5;
const DURATION_MS = smoke ? 500 : 5_000;
const RATES = [1_000, 50_000];
/** Chunks sent this early in a run are left out (connection set-up, JIT warm-up). */
const WARM_UP_MS = smoke ? 0 : 500;
const REPLICAS = new URL('../lib/latency-replica.mjs', import.meta.url);

// "REDIS0010", EOF opcode, checksum 0 (= not computed): the smallest valid snapshot.
const EMPTY_RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
const ANSWER = Buffer.concat([Buffer.from(`+FULLRESYNC ${'a'.repeat(40)} 0\r\n$${EMPTY_RDB.length}\r\n`), EMPTY_RDB]);

const monotonicNs = () => Number(process.hrtime.bigint());

/**
 * A master that answers PSYNC with an empty snapshot and, once `links` replicas have asked, writes `rate`
 * SETs/s to all of them for DURATION_MS. Resolves with the links in the order they asked, each with its
 * [stream offset after the chunk, write time ns] per chunk, and per chunk whether it counts.
 */
function runFakeMaster(rate, links, server) {
  return new Promise((resolve) => {
    const replicas = [];
    server.on('connection', (socket) => {
      socket.setNoDelay(true);
      // haproxy's readiness probe opens a connection it then resets; a broken link shows as missing chunks
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write(ANSWER);
        replicas.push({ socket, sent: [] });
        if (replicas.length === links) stream(replicas, rate).then(() => resolve(replicas));
      });
    });
  });
}

async function stream(replicas, rate) {
  let offset = ANSWER.length;
  let n = 0;
  const counted = [];
  const t0 = performance.now();
  const value = Buffer.alloc(16, 'v');
  while (performance.now() - t0 < DURATION_MS) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    const batch = [];
    for (; n < due; n++) batch.push(encodeCommand(['SET', `key:${n}`, value]));
    if (batch.length) {
      const chunk = Buffer.concat(batch);
      offset += chunk.length;
      counted.push(performance.now() - t0 >= WARM_UP_MS);
      for (const r of replicas) {
        r.sent.push([offset, monotonicNs()]);
        r.socket.write(chunk);
      }
    }
    await sleep(1);
  }
  for (const r of replicas) {
    r.counted = counted;
    r.socket.end();
  }
}

/** Runs the replicas process against `ports`; resolves with its marks, one list per port. */
function runReplicas(ports) {
  const child = fork(REPLICAS, ports.map(String), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', ({ marks }) => resolve(marks));
    child.once('exit', (code) => code !== 0 && reject(new Error(`latency replicas exited (${code})`)));
  });
}

/** Per chunk: µs from its write to the read that brought the replica to the chunk's end offset. */
function latencies(sent, marks, what) {
  const out = [];
  let m = 0;
  for (const [offset, at] of sent) {
    while (m < marks.length && marks[m][0] < offset) m++;
    if (m === marks.length) throw new Error(`${what}: the replica did not receive the chunk ending at offset ${offset}`);
    out.push((marks[m][1] - at) / 1000);
  }
  return out;
}

// the path's names are those of startPath
const PATHS = withBase(['haproxy', 'pump', 'cli-json']);
const NAMES = { haproxy: 'haproxy (reference, C)', pump: 'repl-spy bare pump', 'cli-json': 'repl-spy all on (--json > file)' };
const LABEL = Object.fromEntries(PATHS.map((p) => [p, p.endsWith('@base') ? `${NAMES[p.slice(0, -5)]}, before` : NAMES[p]]));

/** One run: a direct link and a link through `path`, side by side. */
async function runOnce(rate, path) {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const masterPort = server.address().port;
  const streamed = runFakeMaster(rate, 2, server);
  const via = await startPath(path, masterPort);
  if (via.resetLatency) setTimeout(() => via.resetLatency(), WARM_UP_MS);
  const marks = await runReplicas([masterPort, via.port]);
  const replicas = await streamed;
  server.close();
  await via.stop();
  // the replicas connect in the order given (direct first), so the master saw them in that order
  const [directLat, viaLat] = replicas.map((r, i) => latencies(r.sent, marks[i], i === 0 ? 'direct' : path));
  const counted = replicas[0].counted;
  const direct = directLat.filter((_, i) => counted[i]);
  const through = viaLat.filter((_, i) => counted[i]);
  const added = through.map((t, i) => t - direct[i]);
  return {
    chunks: direct.length,
    direct: { p50: percentile(direct, 50), p99: percentile(direct, 99) },
    through: { p50: percentile(through, 50), p99: percentile(through, 99) },
    added: { p50: percentile(added, 50), p99: percentile(added, 99) },
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
      log(`latency ${rate}/s rep ${rep + 1} ${path}: direct p50 ${r.direct.p50.toFixed(0)} / p99 ${r.direct.p99.toFixed(0)} µs, ` +
        `through p50 ${r.through.p50.toFixed(0)} / p99 ${r.through.p99.toFixed(0)} µs, added per chunk p50 ${r.added.p50.toFixed(0)} / p99 ${r.added.p99.toFixed(0)} µs (${r.chunks} chunks)`);
    }
  }
  const s = (path, get) => summary(runs[path].map(get));
  for (const path of PATHS) {
    rows.push([`${rate / 1000}k`, LABEL[path], runs[path][0].chunks,
      fmt(s(path, (r) => r.direct.p50), 0), fmt(s(path, (r) => r.direct.p99), 0),
      fmt(s(path, (r) => r.through.p50), 0), fmt(s(path, (r) => r.through.p99), 0),
      fmt(s(path, (r) => r.added.p50), 0), fmt(s(path, (r) => r.added.p99), 0)]);
  }
  const allOn = s('cli-json', (r) => r.added.p99).median;
  const pump = s('pump', (r) => r.added.p99).median;
  goals.push({ goal: `added p99 latency at ${rate / 1000}k commands/s, all on (the real command) within 1.3x the bare pump's (per chunk, side by side)`, value: `${allOn.toFixed(0)} µs (pump ${pump.toFixed(0)}: ${(allOn / pump).toFixed(2)}x)`, met: allOn <= 1.3 * pump });
  goals.push({ goal: `reference at ${rate / 1000}k commands/s: added p99 of haproxy (C), same method (no goal of its own)`, value: `${s('haproxy', (r) => r.added.p99).median.toFixed(0)} µs`, met: null });
}

writeResult(out, {
  scenario: 'forward-latency',
  title: 'Latency added by the forward path, per chunk',
  params: { reps: REPS, durationMs: DURATION_MS, rates: RATES },
  notes: [
    `The first ${WARM_UP_MS} ms of each run are left out (set-up, JIT warm-up).`,
    'Side by side: every chunk goes at the same tick to a direct link and to a link through the path; both fake replicas live in one process of their own. Latency = from write() in the master to the read that completes the chunk in the replica, on the monotonic clock all processes share. Added = the same chunk through the path minus direct, so stalls of the master, the replicas or the whole machine cancel out.',
    'haproxy = haproxy in TCP mode, the reference: what one proxy hop written in C costs on this machine. Bare pump = a repl-spy process that only forwards; all on = the real command, `repl-spy --json > file` with its defaults (decoding, RDB analysis, capture). The paths alternate within a repetition; "before" rows (BENCH_BASE) run the checkout before the change.',
  ],
  tables: [{
    title: `Per-chunk latency in µs, 16-byte SETs, ${DURATION_MS / 1000} s per run, ${REPS} repetitions`,
    columns: ['commands/s', 'path', 'chunks/run', 'direct p50', 'direct p99', 'through p50', 'through p99', 'added p50', 'added p99'],
    rows,
  }],
  goals,
});
