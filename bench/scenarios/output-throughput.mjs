// Scenario: how many events a second the outputs keep up with on one core. A replication stream recorded from a
// real master under the max-rate load (redis-benchmark SETs of 100 bytes, -P 16) is decoded by the pipeline, in
// slices as the tap gives it, with one output behind it: the --json and --no-tui writers (the CLI's own writer,
// into a file), and the TUI's reducer. An output's rate = events / (CPU seconds with it - CPU seconds of decoding
// alone); CPU time counts the writer's thread-pool writes too. Runs of the variants are interleaved. With
// BENCH_BASE=<a built checkout> its writers run too ("before", side by side).
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPipeline } from '../../dist/decode/pipeline.js';
import { apply, createTuiState } from '../../dist/tui/model/state.js';
import { startRedis } from '../lib/redis.mjs';
import { redisBenchmarkSets } from '../lib/load.mjs';
import { recordStream } from '../lib/record.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : 5;
const REQUESTS = smoke ? 20_000 : 1_000_000;
const CHUNK = 64 * 1024;
const GOAL = 300_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-output-'));

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const turn = () => new Promise((r) => setImmediate(r));

/** The outputs under test: each gives a subscriber and a way to wait until all it wrote is written. */
/** The writer and formatters of a checkout; one whose formatters return strings (before the byte lines) too. */
async function writersOf(root) {
  const load = (file) => import(pathToFileURL(path.join(root, 'dist/output', file)).href);
  const { createEventWriter } = await load('event-writer.js');
  const json = await load('json-output.js');
  const text = await load('line-output.js');
  return {
    createEventWriter,
    json: json.writeJsonLine ?? json.jsonLine,
    text: text.writeTextLine ?? text.textLine,
  };
}
const own = await writersOf(path.resolve(import.meta.dirname, '../..'));
const base = process.env.BENCH_BASE ? await writersOf(path.resolve(process.env.BENCH_BASE)) : null;

const OUTPUTS = {
  decoding: () => ({ subscriber: () => {}, done: async () => 0 }),
  json: (file) => fileWriter(file, own, own.json),
  text: (file) => fileWriter(file, own, own.text),
  ...(base && {
    'json, before': (file) => fileWriter(file, base, base.json),
    'text, before': (file) => fileWriter(file, base, base.text),
  }),
  tui: () => {
    const state = createTuiState();
    return { subscriber: (e) => apply(state, e), done: async () => 0 };
  },
};

function fileWriter(file, { createEventWriter }, format) {
  const stream = createWriteStream(file);
  const writer = createEventWriter(stream, format);
  return {
    subscriber: (e) => writer.write(e),
    async done() {
      await writer.flush();
      await new Promise((r) => stream.end(r));
      return statSync(file).size;
    },
  };
}

/** Decodes the recorded stream with `output` behind the pipeline; CPU ms from the first command to the last byte
 *  written. */
async function run(rec, name) {
  const output = OUTPUTS[name](path.join(dir, `${name.replace(/\W+/g, '-')}.out`));
  let events = 0;
  const pipeline = createPipeline({});
  pipeline.subscribe((e) => {
    events++;
    output.subscriber(e);
  });
  let at = Date.now();
  const feed = (from, chunk) => pipeline.wire({ kind: 'bytes', link: 1, at: (at += 0.05), from, chunk });
  pipeline.wire({ kind: 'open', link: 1, at, replica: '127.0.0.1:1', master: '127.0.0.1:2' });
  feed('replica', Buffer.from('PSYNC ? -1\r\n'));
  feed('master', rec.bytes.subarray(0, rec.commandsStart));
  await turn();
  const before = events;
  const cpu0 = cpuMs();
  for (let p = rec.commandsStart; p < rec.bytes.length; p += CHUNK) {
    feed('master', rec.bytes.subarray(p, Math.min(p + CHUNK, rec.bytes.length)));
    await turn(); // the tap's slices: the writer flushes between them
  }
  const bytesOut = await output.done();
  const ms = cpuMs() - cpu0;
  pipeline.end(at);
  return { events: events - before, ms, bytesOut };
}

const master = await startRedis(['--client-output-buffer-limit', 'replica 0 0 0']);
const rec = await recordStream(master, () => redisBenchmarkSets(master.port, { requests: REQUESTS, valueBytes: 100, pipeline: 16, clients: 50 }));
await master.stop();
log(`output: recorded ${mb(rec.bytes.length - rec.commandsStart).toFixed(1)} MB of commands`);

const runs = Object.fromEntries(Object.keys(OUTPUTS).map((n) => [n, []]));
for (const name of Object.keys(OUTPUTS)) await run(rec, name); // warm-up
for (let r = 0; r < REPS; r++) {
  for (const name of Object.keys(OUTPUTS)) {
    const result = await run(rec, name);
    runs[name].push(result);
    log(`output rep ${r + 1} ${name}: ${result.events} events, ${result.ms.toFixed(0)} ms CPU`);
  }
}
rmSync(dir, { recursive: true, force: true });

const events = runs.decoding[0].events;
const rows = [];
const goals = [];
for (const name of Object.keys(OUTPUTS)) {
  const cpu = summary(runs[name].map((r) => r.ms));
  // the output's own CPU per repetition: this run minus the decoding-only run of the same repetition
  const own = name === 'decoding' ? null : summary(runs[name].map((r, i) => r.events / (Math.max(1, r.ms - runs.decoding[i].ms) / 1000) / 1000));
  const total = summary(runs[name].map((r) => r.events / (r.ms / 1000) / 1000));
  rows.push([name, events, fmt(cpu, 0), fmt(total, 0), own ? fmt(own, 0) : '', runs[name][0].bytesOut ? mb(runs[name][0].bytesOut).toFixed(1) : '']);
  if (own) goals.push({ goal: `${name}: keeps up with >= ${GOAL / 1000}k events/s on one core (its own CPU, decoding apart)`, value: `${own.median.toFixed(0)}k events/s`, met: own.median * 1000 >= GOAL });
}

writeResult(out, {
  scenario: 'output-throughput',
  title: 'Outputs: events per second on one core',
  params: { reps: REPS, requests: REQUESTS, chunkBytes: CHUNK },
  notes: [
    'The stream is recorded from a real master under redis-benchmark -t set -P 16 -c 50 -d 100 (the max-rate load of sustained-writes), then decoded in 64 KiB chunks with a turn of the event loop after each, as the tap hands them on.',
    'json / text = the CLI\'s event writer (batched, flushed on the next turn) with the --json or --no-tui formatter into a file; tui = the TUI\'s reducer (apply), no painting. CPU = process CPU time (all threads) from the first command to the last byte written.',
    '"own" = events per CPU second the output itself takes: the run minus the decoding-only run of the same repetition.',
  ],
  tables: [{
    title: `${events} command events, ${REPS} interleaved repetitions after a warm-up`,
    columns: ['output', 'events', 'CPU ms', 'k events/s, decoding included', 'k events/s, the output\'s own', 'written MB'],
    rows,
  }],
  goals,
});
