// Client links at full speed: redis-benchmark's 50 clients (SET and GET, not pipelined and -P 16) through the
// path under test, while a real replica replicates through the same path (so the real command decodes
// replication all along). Paths: haproxy (the reference hop, C), repl-spy as a bare pump, and the real command
// (`repl-spy --json > file`, capture on). Reported: the ops/s redis-benchmark measures, the proxy's CPU per
// 100k requests (/proc: less noisy than wall time on a shared machine), and what the real command printed:
// client links are summarised (client-open/close), not one event per command.
import { processUsage, startCliProxy } from '../lib/cli-proxy.mjs';
import { requireHaproxy } from '../lib/haproxy.mjs';
import { runRedisBenchmark } from '../lib/load.mjs';
import { startPath, withBase } from '../lib/proxy.mjs';
import { startRedis, startReplicaOf } from '../lib/redis.mjs';
import { fmt, median, summary } from '../lib/stats.mjs';
import { log, scenarioArgs, writeResult } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : 3;
const REQUESTS = smoke ? 5_000 : 200_000;
const CLIENTS = 50;
const PIPELINES = [1, 16];
const PATHS = withBase(['haproxy', 'pump', 'cli-json', 'cli-json-nocapture']);
const NAMES = { haproxy: 'haproxy (reference, C)', pump: 'repl-spy bare pump', 'cli-json': 'repl-spy, the real command (--json > file)', 'cli-json-nocapture': 'the real command with --no-capture' };
const LABEL = Object.fromEntries(PATHS.map((p) => [p, p.endsWith('@base') ? `${NAMES[p.slice(0, -5)]}, before` : NAMES[p]]));

/** redis-benchmark SET and GET through `port`; resolves with requests/s of each. */
async function benchmark(port, pipeline) {
  const text = await runRedisBenchmark(['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-n', String(REQUESTS), '-P', String(pipeline), '-t', 'set,get', '-r', '100000', '--csv']);
  const rps = (test) => Number(new RegExp(`^"${test}","([\\d.]+)"`, 'm').exec(text)?.[1] ?? NaN);
  return { set: rps('SET'), get: rps('GET') };
}

async function runOnce(master, path, pipeline) {
  // the capture is most of what the real command costs beyond the pump: shown apart
  const via = path === 'cli-json-nocapture' ? await startCliProxy(master.port, 'json', { extraArgs: ['--no-capture'] }) : await startPath(path, master.port);
  const replica = await startReplicaOf(via.port);
  const before = processUsage(via.pid).cpuMs;
  const rps = await benchmark(via.port, pipeline);
  const cpuMs = processUsage(via.pid).cpuMs - before;
  await replica.stop();
  const facts = await via.stop();
  return { ...rps, cpuPer100k: (cpuMs / (2 * REQUESTS)) * 100_000, types: facts?.types ?? null };
}

requireHaproxy();
const master = await startRedis();
const rows = [];
const goals = [];
const printed = [];
try {
  for (const pipeline of PIPELINES) {
    const runs = Object.fromEntries(PATHS.map((p) => [p, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const path of PATHS) {
        const r = await runOnce(master, path, pipeline);
        runs[path].push(r);
        log(`clients -P ${pipeline} rep ${rep + 1} ${path}: SET ${r.set.toFixed(0)}/s GET ${r.get.toFixed(0)}/s, proxy CPU ${r.cpuPer100k.toFixed(0)} ms per 100k requests${r.types ? ` events ${JSON.stringify(r.types)}` : ''}`);
      }
    }
    const s = (path, get) => summary(runs[path].map(get));
    for (const path of PATHS) {
      rows.push([pipeline, LABEL[path], fmt(s(path, (r) => r.set), 0), fmt(s(path, (r) => r.get), 0), fmt(s(path, (r) => r.cpuPer100k), 0)]);
    }
    const ops = (path) => median(runs[path].map((r) => (r.set + r.get) / 2));
    const ratio = ops('cli-json') / ops('pump');
    goals.push({ goal: `redis-benchmark -c ${CLIENTS} -P ${pipeline} through the real command (replication decoded too) >= 0.9x the bare pump's ops/s`, value: `${ops('cli-json').toFixed(0)} ops/s (pump ${ops('pump').toFixed(0)}: ${ratio.toFixed(2)}x; haproxy ${ops('haproxy').toFixed(0)})`, met: ratio >= 0.9 });
    const bare = ops('cli-json-nocapture') / ops('pump');
    goals.push({ goal: `reference at -P ${pipeline}: the real command with --no-capture (decoding only) against the bare pump (no goal of its own)`, value: `${ops('cli-json-nocapture').toFixed(0)} ops/s: ${bare.toFixed(2)}x`, met: null });
    const types = runs['cli-json'][0].types ?? {};
    const perCommand = (types['client-command'] ?? 0) + (types['protocol-violation'] ?? 0);
    goals.push({ goal: `-P ${pipeline}: no event per client command by default (client-command and protocol-violation events)`, value: `${perCommand} (client-open ${types['client-open'] ?? 0}, client-close ${types['client-close'] ?? 0}, replica link commands ${types.command ?? 0})`, met: perCommand === 0 });
    printed.push(`-P ${pipeline}: ${JSON.stringify(types)}`);
  }
} finally {
  await master.stop();
}

writeResult(out, {
  scenario: 'client-throughput',
  title: 'Client links at full speed (redis-benchmark through the proxy, a replica on the same path)',
  params: { reps: REPS, requests: REQUESTS, clients: CLIENTS, pipelines: PIPELINES },
  notes: [
    `redis-benchmark -c ${CLIENTS} -n ${REQUESTS} -t set,get -r 100000 -P 1 and -P 16 through each path, while a real replica replicates through the same path (its SETs are decoded as replication commands by the real command). Paths alternate within a repetition.`,
    'CPU = the proxy process\'s own user + system time (/proc) during the benchmark, per 100k requests: less noisy than ops/s on a shared machine. haproxy = one proxy hop in C; bare pump = a repl-spy process that only forwards; the real command = `repl-spy --json > file` with its defaults (decoding, RDB analysis, capture).',
    `Events the real command printed (first repetition): ${printed.join('; ')}.`,
  ],
  tables: [{
    title: `requests/s as redis-benchmark reports them, ${REPS} repetitions`,
    columns: ['pipeline', 'path', 'SET/s', 'GET/s', 'proxy CPU ms / 100k requests'],
    rows,
  }],
  goals,
});
