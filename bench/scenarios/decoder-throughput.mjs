// Scenario 3: decoder throughput offline, one core, on real recorded replication streams: commands/s of the
// command stream (16-byte and 1 KiB values) for chunk sizes from 1.5 KiB to 64 KiB, compared with redis-parser on
// the same bytes and chunks, and src/resp's framing alone; MB/s of RDB payload framing, with and without RDB
// analysis. With BENCH_BASE=<a built checkout> its pipeline decodes the same bytes too ("before", interleaved).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RespFramer } from '../../dist/resp/framer.js';
import { startRedis, populate } from '../lib/redis.mjs';
import { redisBenchmarkSets } from '../lib/load.mjs';
import { recordStream } from '../lib/record.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const require = createRequire(import.meta.url);
const RedisParser = require('redis-parser');

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : 5;
const CHUNKS = [1536, 4096, 16384, 65536];
const COMMANDS = { 16: smoke ? 20_000 : 2_000_000, 1024: smoke ? 5_000 : 300_000 };
const RDB_MB = smoke ? 4 : 256;

/** The pipeline and RDB sink of a checkout (the pipeline was in core/ before it moved to decode/). */
async function decoderOf(root) {
  const dist = (file) => pathToFileURL(path.join(root, 'dist', file)).href;
  const pipelineFile = existsSync(path.join(root, 'dist/decode/pipeline.js')) ? 'decode/pipeline.js' : 'core/pipeline.js';
  const { createPipeline } = await import(dist(pipelineFile));
  const { makeRdbSink } = await import(dist('decode/rdb-sink.js'));
  return { createPipeline, makeRdbSink };
}
const own = await decoderOf(path.resolve(import.meta.dirname, '../..'));
const base = process.env.BENCH_BASE ? await decoderOf(path.resolve(process.env.BENCH_BASE)) : null;

/** CPU time of this process in ms: on a shared machine far steadier than wall time. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Feeds a recorded stream to the decoding pipeline: handshake and payload untimed, then the timed part. */
function decodeRun(stream, { timedFrom, timedTo, chunkSize, rdbAnalysis }, { createPipeline, makeRdbSink } = own) {
  let commands = 0;
  let violations = 0;
  const pipeline = createPipeline({ rdbSink: rdbAnalysis ? makeRdbSink : undefined });
  pipeline.subscribe((e) => {
    if (e.type === 'command') commands++;
    else if (e.type === 'protocol-violation' || (e.type === 'rdb-info' && e.phase === 'error')) violations++;
  });
  const link = 1;
  let at = 0;
  const feed = (from, chunk) => pipeline.wire({ kind: 'bytes', link, at: at++, from, chunk });
  pipeline.wire({ kind: 'open', link, at, replica: '127.0.0.1:1', master: '127.0.0.1:2' });
  feed('replica', Buffer.from('PSYNC ? -1\r\n'));
  for (let p = 0; p < timedFrom; p += chunkSize) feed('master', stream.subarray(p, Math.min(p + chunkSize, timedFrom)));
  const t0 = cpuMs();
  for (let p = timedFrom; p < timedTo; p += chunkSize) feed('master', stream.subarray(p, Math.min(p + chunkSize, timedTo)));
  const ms = cpuMs() - t0;
  pipeline.end(at);
  if (violations) throw new Error(`the decoder reported ${violations} errors on a real stream`);
  return { ms, commands };
}

function redisParserRun(stream, { timedFrom, timedTo, chunkSize }) {
  let commands = 0;
  const parser = new RedisParser({ returnBuffers: true, returnReply: () => commands++, returnError: () => {
    throw new Error('redis-parser error');
  } });
  const t0 = cpuMs();
  for (let p = timedFrom; p < timedTo; p += chunkSize) parser.execute(stream.subarray(p, Math.min(p + chunkSize, timedTo)));
  return { ms: cpuMs() - t0, commands };
}

/** Framing alone, in CPU time (less noisy than wall time on a shared machine). */
function framerRun(makeFramer, stream, { timedFrom, timedTo, chunkSize }) {
  let commands = 0;
  const framer = makeFramer(() => commands++);
  const cpu = process.cpuUsage();
  for (let p = timedFrom; p < timedTo; p += chunkSize) framer.feed(stream.subarray(p, Math.min(p + chunkSize, timedTo)));
  const { user, system } = process.cpuUsage(cpu);
  return { ms: (user + system) / 1000, commands };
}
const framingError = (what) => {
  throw new Error(`framing error on a real stream: ${what}`);
};
const framer = (count) => new RespFramer('replication', { command: count, error: (e) => framingError(e.message) });

function repeat(fn) {
  fn(); // warm-up
  return Array.from({ length: REPS }, fn);
}

/** Runs of this checkout's decoder and, with BENCH_BASE, the base's, interleaved; [ours, before or null]. */
function repeatBoth(run) {
  if (!base) return [repeat(() => run(own)), null];
  run(own);
  run(base);
  const ours = [];
  const before = [];
  for (let i = 0; i < REPS; i++) {
    ours.push(run(own));
    before.push(run(base));
  }
  return [ours, before];
}

const tables = [];
const goals = [];

// Command streams.
const cmdRows = [];
const framerRows = [];
let worstCmdRate = Infinity;
for (const [valueBytes, requests] of Object.entries(COMMANDS)) {
  const master = await startRedis(['--client-output-buffer-limit', 'replica 0 0 0']);
  const rec = await recordStream(master, () => redisBenchmarkSets(master.port, { requests, valueBytes: Number(valueBytes), pipeline: 64, clients: 8 }));
  await master.stop();
  const span = { timedFrom: rec.commandsStart, timedTo: rec.bytes.length };
  const streamMB = mb(span.timedTo - span.timedFrom);
  log(`decoder: recorded ${valueBytes}-byte stream, ${streamMB.toFixed(1)} MB`);
  for (const chunkSize of CHUNKS) {
    const [ours, before] = repeatBoth((impl) => decodeRun(rec.bytes, { ...span, chunkSize, rdbAnalysis: true }, impl));
    const theirs = repeat(() => redisParserRun(rec.bytes, { ...span, chunkSize }));
    const n = ours[0].commands;
    if (theirs[0].commands !== n) throw new Error(`command counts differ: repl-spy ${n}, redis-parser ${theirs[0].commands}`);
    const rate = (runs) => summary(runs.map((r) => r.commands / (r.ms / 1000) / 1e6));
    const mbps = (runs) => summary(runs.map((r) => streamMB / (r.ms / 1000)));
    const ourRate = rate(ours);
    worstCmdRate = Math.min(worstCmdRate, ourRate.median);
    cmdRows.push([`${valueBytes} B`, n, (chunkSize / 1024).toFixed(1), fmt(ourRate, 2), fmt(mbps(ours), 0), fmt(rate(theirs), 2), fmt(mbps(theirs), 0),
      (ourRate.median / rate(theirs).median).toFixed(2), ...(before ? [fmt(rate(before), 2), (ourRate.median / rate(before).median).toFixed(2)] : [])]);
    log(`  chunk ${chunkSize}: repl-spy ${ourRate.median.toFixed(2)} M cmd/s, redis-parser ${rate(theirs).median.toFixed(2)} M cmd/s`);
    const framed = repeat(() => framerRun(framer, rec.bytes, { ...span, chunkSize }));
    if (framed[0].commands !== n) throw new Error(`the framer counted ${framed[0].commands} commands, not ${n}`);
    const framing = rate(framed);
    framerRows.push([`${valueBytes} B`, (chunkSize / 1024).toFixed(1), fmt(framing, 2)]);
    log(`  chunk ${chunkSize}: framing alone ${framing.median.toFixed(2)} M cmd/s (CPU time)`);
  }
}
tables.push({
  title: `Command stream (recorded from redis-benchmark SETs), ${REPS} runs each`,
  columns: ['values', 'commands', 'chunk KiB', 'repl-spy M cmd/s', 'repl-spy MB/s', 'redis-parser M cmd/s', 'redis-parser MB/s', 'repl-spy / redis-parser', ...(base ? ['before M cmd/s', 'after / before'] : [])],
  rows: cmdRows,
});
goals.push({ goal: 'command stream: >= 1,000,000 commands/s on one core (worst value size and chunk size)', value: `${worstCmdRate.toFixed(2)} M/s`, met: worstCmdRate >= 1 });

tables.push({
  title: `Framing alone, the same command streams: src/resp (M commands per CPU second), ${REPS} runs each`,
  columns: ['values', 'chunk KiB', 'src/resp M cmd/s'],
  rows: framerRows,
});

// RDB payload.
const rdbRows = [];
let framingRate = Infinity;
const datasets = [
  { name: '1000-byte values, rdbcompression no', args: ['--rdbcompression', 'no'], valueSize: 1000 },
  { name: '16-byte values', args: [], valueSize: 16 },
];
for (const ds of datasets) {
  const master = await startRedis(['--client-output-buffer-limit', 'replica 0 0 0', '--repl-diskless-sync', 'no', ...ds.args]);
  await populate(master, (RDB_MB * 1024 * 1024 * (ds.valueSize === 16 ? 0.25 : 1)), ds.valueSize);
  const rec = await recordStream(master, async () => {});
  await master.stop();
  const span = { timedFrom: rec.rdbStart, timedTo: rec.rdbEnd };
  const payloadMB = mb(span.timedTo - span.timedFrom);
  log(`decoder: recorded RDB, ${ds.name}, ${payloadMB.toFixed(1)} MB`);
  for (const chunkSize of [16384, 65536]) {
    const speed = (runs) => summary(runs.map((r) => payloadMB / (r.ms / 1000)));
    const [framed, framedBefore] = repeatBoth((impl) => decodeRun(rec.bytes, { ...span, chunkSize, rdbAnalysis: false }, impl));
    const [analysed, analysedBefore] = repeatBoth((impl) => decodeRun(rec.bytes, { ...span, chunkSize, rdbAnalysis: true }, impl));
    const framing = speed(framed);
    const analysis = speed(analysed);
    framingRate = Math.min(framingRate, framing.median);
    rdbRows.push([ds.name, payloadMB.toFixed(0), (chunkSize / 1024).toFixed(0), fmt(framing, 0), fmt(analysis, 0),
      ...(base ? [fmt(speed(framedBefore), 0), fmt(speed(analysedBefore), 0), (analysis.median / speed(analysedBefore).median).toFixed(2)] : [])]);
    log(`  chunk ${chunkSize}: framing ${framing.median.toFixed(0)} MB/s, with analysis ${analysis.median.toFixed(0)} MB/s`);
  }
}
tables.push({
  title: `RDB payload (recorded disk-based full sync), ${REPS} runs each`,
  columns: ['dataset', 'payload MB', 'chunk KiB', 'framing MB/s', 'framing + RDB analysis MB/s', ...(base ? ['before: framing MB/s', 'before: + RDB analysis MB/s', 'analysis after / before'] : [])],
  rows: rdbRows,
});
goals.push({ goal: 'RDB payload framing: >= 300 MB/s on one core', value: `${framingRate.toFixed(0)} MB/s`, met: framingRate >= 300 });

writeResult(out, {
  scenario: 'decoder-throughput',
  title: 'Decoder throughput offline (one core)',
  params: { reps: REPS, chunkSizes: CHUNKS, commands: COMMANDS, rdbMB: RDB_MB },
  notes: [
    'Streams are recorded from a real redis-server: a raw PSYNC connection keeps every byte the master sends while redis-benchmark writes (commands) or after DEBUG POPULATE (payload).',
    'repl-spy = the whole decoding pipeline (link decoder + session, counting subscriber), RDB analysis on for the command stream; redis-parser (returnBuffers) parses the same command bytes with the same chunks.',
    'Rates are per CPU second of the process (user + system), the median of the runs after one warm-up, with min and max.',
  ],
  tables,
  goals,
});
