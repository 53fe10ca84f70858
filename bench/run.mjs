// Runs every benchmark scenario in its own process, collects their JSON results and writes bench/RESULTS.md.
//   node bench/run.mjs                 full runs (long: large datasets), then RESULTS.md
//   node bench/run.mjs --only a,b      only these scenarios; results of the others are kept from bench/results.json
//   node bench/run.mjs --smoke         tiny data, a few seconds each, scenarios in parallel; checks that each one
//                                      completes and reports numbers, asserts nothing about speed
//   --no-write                         do not touch bench/results.json nor bench/RESULTS.md
//   --note "text"                      a line about the conditions (e.g. a shared, busy machine) in RESULTS.md
//   --render                           run nothing; rewrite RESULTS.md from bench/results.json and bench/notes.md
//   BENCH_SOAK_S=60                    the soak for 60 s instead of 10 minutes
// Needs dist/ (npm run build) and redis-server, redis-benchmark, redis-check-rdb on PATH; pcap-decode also tcpdump
// (with capture rights on lo) and tshark.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderResults } from './lib/render.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCENARIOS = ['decoder-throughput', 'output-throughput', 'rdb-decode', 'forward-latency', 'client-throughput', 'sustained-writes', 'tail-vs-redis-cli', 'capture-cost', 'full-sync', 'full-sync-tls', 'cluster-full-sync', 'memory', 'pcap-decode', 'report', 'soak'];
/** --smoke (what npm test runs) leaves out the soak: it is minutes long by nature (BENCH_SOAK_S shortens it). */
const SMOKE_SCENARIOS = SCENARIOS.filter((name) => name !== 'soak');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const smoke = flag('--smoke');
const write = !flag('--no-write') && !smoke;
// --render: run nothing, only rewrite RESULTS.md from bench/results.json (e.g. after editing bench/notes.md).
const only = flag('--render') ? [] : (value('--only')?.split(',') ?? (smoke ? SMOKE_SCENARIOS : SCENARIOS));
for (const name of only) if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);

if (!existsSync(path.join(here, '../dist/decode/pipeline.js'))) {
  console.error('bench: dist/ is missing; run `npm run build` first (npm run bench does)');
  process.exit(2);
}

function machine() {
  const redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    redis: /v=(\S+)/.exec(redis)?.[1] ?? redis.trim(),
    loadAvg: os.loadavg().map((l) => l.toFixed(1)).join(' '),
    commit: gitHead(),
  };
}

function gitHead() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-run-'));
function runScenario(name) {
  const out = path.join(tmp, `${name}.json`);
  const started = performance.now();
  const args = [path.join(here, 'scenarios', `${name}.mjs`), ...(smoke ? ['--smoke'] : []), '--out', out];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', smoke ? 'ignore' : 2, 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!smoke) process.stderr.write(d);
    });
    child.on('exit', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return resolve({ name, error: `exited with ${code ?? signal}\n${stderr.slice(-3000)}`, seconds });
      try {
        const result = JSON.parse(readFileSync(out, 'utf8'));
        const problem = checkResult(name, result);
        resolve(problem ? { name, error: problem, seconds } : { name, result, seconds });
      } catch (err) {
        resolve({ name, error: `no readable result: ${err.message}`, seconds });
      }
    });
  });
}

/** A result must have at least one table whose rows all carry numbers. */
function checkResult(name, r) {
  if (r.scenario !== name) return `result names scenario ${r.scenario}`;
  if (!Array.isArray(r.tables) || r.tables.length === 0) return 'no tables';
  for (const t of r.tables) {
    if (!t.rows?.length) return `table "${t.title}" has no rows`;
    for (const row of t.rows) {
      if (row.length !== t.columns.length) return `table "${t.title}": row ${JSON.stringify(row)} does not match the columns`;
      if (!row.some((c) => typeof c === 'number' || /\d/.test(String(c)))) return `table "${t.title}": a row has no numbers`;
      if (row.some((c) => /NaN|Infinity|n\/a/.test(String(c)))) return `table "${t.title}": a row has no value: ${JSON.stringify(row)}`;
    }
  }
  return null;
}

// Smoke: in parallel (speed does not matter). Full: one at a time, so scenarios do not disturb each other.
const env = machine();
const outcomes = [];
if (smoke) {
  outcomes.push(...(await Promise.all(only.map(runScenario))));
} else {
  for (const name of only) {
    console.error(`\n=== ${name}`);
    outcomes.push(await runScenario(name));
  }
}
rmSync(tmp, { recursive: true, force: true });

let failed = 0;
for (const o of outcomes) {
  if (o.error) failed++;
  const line = o.error ? `FAIL ${o.name} (${o.seconds.toFixed(1)} s): ${o.error}` : `ok   ${o.name} (${o.seconds.toFixed(1)} s)`;
  console.log(line);
}

if (write) {
  const store = path.join(here, 'results.json');
  const all = existsSync(store) ? JSON.parse(readFileSync(store, 'utf8')) : {};
  for (const o of outcomes) if (o.result) all[o.name] = { ...o.result, env, seconds: o.seconds, note: value('--note') ?? null };
  writeFileSync(store, JSON.stringify(all, null, 2) + '\n');
  const extra = existsSync(path.join(here, 'notes.md')) ? readFileSync(path.join(here, 'notes.md'), 'utf8') : '';
  writeFileSync(path.join(here, 'RESULTS.md'), renderResults(all, SCENARIOS, extra));
  console.log(`wrote ${path.relative(process.cwd(), path.join(here, 'RESULTS.md'))}`);
}
process.exit(failed ? 1 : 0);
