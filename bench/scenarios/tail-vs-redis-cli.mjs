// Scenario: `repl-spy tail` beside `redis-cli --replica` on the same load (the master's max pipelined write rate,
// redis-benchmark -t set -P 16 -c 50 -d 100), one after the other in each repetition: SETs decoded and printed per
// second, how far behind the master each one falls (SETs and stream bytes not printed yet, sampled; the master's
// output buffer for it) and how long after the load it printed the last SET, whether its start made the master
// fork (total_forks before and after, rdb_bgsave_in_progress sampled), and its CPU and peak RSS. Each prints into
// a pipe this process reads and counts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis, startReplicaOf, sleep } from '../lib/redis.mjs';
import { redisBenchmarkSets } from '../lib/load.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : Number(process.env.BENCH_TAIL_REPS ?? 3);
const REQUESTS = smoke ? 20_000 : Number(process.env.BENCH_TAIL_REQUESTS ?? 2_000_000);
const LOAD = { requests: REQUESTS, pipeline: 16, clients: 50, valueBytes: 100 };
const SAMPLE_MS = 100;
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
const FOLLOWING = /following \w+:\d+ with \+CONTINUE/;
/** How each tool is started, when it follows the master, and the bytes that mark one printed SET. */
const TOOLS = {
  'tail --json': { bin: process.execPath, args: (port) => [cli, 'tail', `127.0.0.1:${port}`, '--json', '--no-capture'], ready: FOLLOWING, set: '"argv":["SET"' },
  'tail --no-tui': { bin: process.execPath, args: (port) => [cli, 'tail', `127.0.0.1:${port}`, '--no-tui', '--no-capture'], ready: FOLLOWING, set: ' SET key:' },
  'redis-cli --replica': { bin: 'redis-cli', args: (port) => ['-h', '127.0.0.1', '-p', String(port), '--replica'], ready: /Logging commands from master/, set: '"SET"' },
};

/** CPU ms of a process so far (utime + stime, in clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Peak RSS of a process so far (VmHWM), in bytes. */
function peakRss(pid) {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
}

/** Counts the occurrences of `marker` in a byte stream fed chunk by chunk (one may straddle two chunks). */
function markerCounter(marker) {
  const m = Buffer.from(marker, 'latin1');
  let carry = Buffer.alloc(0);
  return (chunk) => {
    const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    let n = 0;
    for (let at = bytes.indexOf(m); at >= 0; at = bytes.indexOf(m, at + m.length)) n++;
    carry = Buffer.from(bytes.subarray(Math.max(0, bytes.length - (m.length - 1))));
    return n;
  };
}

/** What the master's INFO says about one moment: SETs executed, replication offset, forks, a BGSAVE running,
 *  and the output buffer of the replica connections not in `known` (the tool's). */
async function masterNow(poll, known) {
  const [stats, repl, persistence, cmdstats, clients] = await Promise.all(
    [['INFO', 'stats'], ['INFO', 'replication'], ['INFO', 'persistence'], ['INFO', 'commandstats'], ['CLIENT', 'LIST', 'TYPE', 'replica']].map((c) => poll.send(c)),
  );
  const field = (text, name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(String(text))?.[1] ?? 0);
  const omems = String(clients).split('\n').filter((l) => l && !known.has(/ addr=(\S+)/.exec(l)?.[1])).map((l) => Number(/ omem=(\d+)/.exec(l)?.[1] ?? 0));
  return {
    sets: Number(/^cmdstat_set:calls=(\d+)/m.exec(String(cmdstats))?.[1] ?? 0),
    offset: field(repl, 'master_repl_offset'),
    forks: field(stats, 'total_forks'),
    bgsave: field(persistence, 'rdb_bgsave_in_progress') === 1,
    omem: Math.max(0, ...omems),
  };
}

async function runOnce(master, known, name) {
  const tool = TOOLS[name];
  const poll = await master.connect();
  // the fork of the replica's sync, or of the tool before, is over: a BGSAVE seen from now on is this tool's
  for (let t = 0; (await masterNow(poll, known)).bgsave; t += 10) {
    if (t > 60_000) throw new Error('a BGSAVE of the master is still running after 60 s');
    await sleep(10);
  }
  const before = await masterNow(poll, known);
  const child = spawn(tool.bin, tool.args(master.port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let head = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise((resolve, reject) => {
    const check = () => (tool.ready.test(stderr) || tool.ready.test(head)) && resolve();
    child.stderr.on('data', check);
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before following: ${stderr}`)));
  });
  const countSets = markerCounter(tool.set);
  let sets = 0;
  let lastSetAt = null;
  child.stdout.on('data', (d) => {
    if (head.length < 4096) head += d.toString('latin1');
    const n = countSets(d);
    if (n === 0) return;
    sets += n;
    lastSetAt = performance.now();
  });
  try {
    await ready;
    // what its start cost (redis-cli: a SYNC, which forks a BGSAVE even for the empty RDB it throws away)
    const started = await masterNow(poll, known);
    let bgsaveSeen = before.bgsave || started.bgsave;
    const cpu0 = cpuMs(child.pid);
    let loading = true;
    let behindSetsMax = 0;
    let omemMax = 0;
    const sampler = (async () => {
      while (loading) {
        const now = await masterNow(poll, known);
        behindSetsMax = Math.max(behindSetsMax, now.sets - started.sets - sets);
        omemMax = Math.max(omemMax, now.omem);
        bgsaveSeen ||= now.bgsave;
        await sleep(SAMPLE_MS);
      }
    })();
    const t0 = performance.now();
    const masterRate = await redisBenchmarkSets(master.port, LOAD);
    const tEnd = performance.now();
    loading = false;
    await sampler;
    const end = await masterNow(poll, known);
    const loadSets = end.sets - started.sets;
    const setsBehindAtEnd = loadSets - sets;
    while (sets < loadSets) {
      if (performance.now() - tEnd > 180_000) throw new Error(`${name} printed ${sets} of ${loadSets} SETs within 180 s of the load's end`);
      await sleep(1);
    }
    const cpu = cpuMs(child.pid) - cpu0;
    const after = await masterNow(poll, known);
    const bytesPerSet = (end.offset - started.offset) / loadSets;
    return {
      masterRate,
      printedRate: loadSets / ((lastSetAt - t0) / 1000),
      catchUpMs: Math.max(0, lastSetAt - tEnd),
      behindMaxSets: behindSetsMax,
      behindMaxBytes: behindSetsMax * bytesPerSet,
      behindEndBytes: setsBehindAtEnd * bytesPerSet,
      omemMax,
      forks: after.forks - before.forks,
      bgsave: bgsaveSeen,
      cpuS: cpu / 1000,
      cpuPct: (cpu / (lastSetAt - t0)) * 100,
      rss: peakRss(child.pid),
    };
  } finally {
    poll.close();
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

const tables = [];
const goals = [];
// A master with a real replica: its backlog exists (tail needs one; redis-cli does not), made before measuring.
const master = await startRedis(['--repl-backlog-size', '256mb']);
const replica = await startReplicaOf(master.port);
try {
  const known = new Set(String(await master.cmd('CLIENT', 'LIST', 'TYPE', 'replica')).split('\n').map((l) => / addr=(\S+)/.exec(l)?.[1]).filter(Boolean));
  const runs = Object.fromEntries(Object.keys(TOOLS).map((n) => [n, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const name of Object.keys(TOOLS)) {
      const r = await runOnce(master, known, name);
      runs[name].push(r);
      log(
        `tail-vs-redis-cli rep ${rep + 1} ${name}: master ${Math.round(r.masterRate)} SET/s, printed ${Math.round(r.printedRate)} SET/s, ` +
          `behind max ${r.behindMaxSets} SETs (${mb(r.behindMaxBytes).toFixed(1)} MiB), at the load's end ${mb(r.behindEndBytes).toFixed(1)} MiB, ` +
          `catch-up ${r.catchUpMs.toFixed(1)} ms, omem max ${r.omemMax} B, forks ${r.forks}, BGSAVE seen ${r.bgsave}, CPU ${r.cpuS.toFixed(2)} s (${r.cpuPct.toFixed(0)}%), RSS ${mb(r.rss).toFixed(0)} MiB`,
      );
    }
  }
  const row = (name) => {
    const s = (f, d) => fmt(summary(runs[name].map(f)), d);
    return [
      name,
      s((r) => r.masterRate / 1000, 0),
      s((r) => r.printedRate / 1000, 0),
      s((r) => mb(r.behindMaxBytes), 1),
      s((r) => mb(r.behindEndBytes), 1),
      s((r) => r.catchUpMs, 1),
      s((r) => mb(r.omemMax), 1),
      `${Math.max(...runs[name].map((r) => r.forks))}${runs[name].some((r) => r.bgsave) ? ' (BGSAVE seen)' : ''}`,
      s((r) => r.cpuS, 2),
      s((r) => mb(r.rss), 0),
    ];
  };
  tables.push({
    title: `repl-spy tail beside redis-cli --replica: redis-benchmark -t set -n ${REQUESTS} -P ${LOAD.pipeline} -c ${LOAD.clients} -d ${LOAD.valueBytes} -r 1000000 (the master's max rate), ${REPS} interleaved repetitions`,
    columns: ['tool', 'master k SET/s', 'printed k SET/s', 'behind max MiB', 'behind at load end MiB', 'catch-up ms', 'master omem max MiB', 'forks', 'CPU s', 'peak RSS MiB'],
    rows: Object.keys(TOOLS).map(row),
  });
  const med = (name, f) => summary(runs[name].map(f)).median;
  const ratio = med('tail --json', (r) => r.printedRate) / med('redis-cli --replica', (r) => r.printedRate);
  const catchUp = summary(runs['tail --json'].map((r) => r.catchUpMs));
  goals.push({ goal: 'tail --json keeps up with the master: catch-up within 10 ms of the end of the load', value: `${catchUp.median.toFixed(1)} ms (max ${catchUp.max.toFixed(1)})`, met: catchUp.max <= 10 });
  goals.push({ goal: 'tail --json prints at least 5× the SETs per second of redis-cli --replica', value: `${ratio.toFixed(1)}×`, met: ratio >= 5 });
  const tails = [...runs['tail --json'], ...runs['tail --no-tui']];
  goals.push({
    goal: 'tail costs the master no fork (redis-cli --replica: one per start)',
    value: `${Math.max(...tails.map((r) => r.forks))} vs ${Math.min(...runs['redis-cli --replica'].map((r) => r.forks))}`,
    met: tails.every((r) => r.forks === 0 && !r.bgsave),
  });
} finally {
  await replica.stop();
  await master.stop();
}

writeResult(out, {
  scenario: 'tail-vs-redis-cli',
  title: 'tail beside redis-cli --replica',
  params: { reps: REPS, ...LOAD },
  notes: [
    "printed SET/s = the load's SETs divided by the time from the start of the load until the tool printed the last one (so at most the master's rate).",
    `behind = SETs the master had executed (INFO commandstats) and the tool not printed yet, times the stream bytes of one SET: the largest of samples every ${SAMPLE_MS} ms during the load, and at its end.`,
    'catch-up = from the end of the load until the tool printed the last SET.',
    "master omem = the largest output buffer the master held for the tool's connection (CLIENT LIST, same samples): bytes the tool had not read yet.",
    "forks = the master's total_forks grown from before the tool's start to the end (redis-cli --replica: SYNC, a BGSAVE even for its empty RDB); BGSAVE seen: rdb_bgsave_in_progress was 1 in a sample.",
    'CPU s (utime + stime) of the tool from the start of the load until it printed the last SET; peak RSS = its VmHWM. tail prints --json or --no-tui lines, redis-cli its quoted argv lines, into a pipe this process counts.',
  ],
  tables,
  goals,
});
