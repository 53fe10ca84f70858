// Scenario: `repl-spy tail --json` beside `redis-cli --replica` on the same load (the master's max pipelined
// write rate, redis-benchmark), one after the other in each repetition: SET commands decoded and printed per
// second, how long after the load each one has printed the last SET, the master's output buffer for it (the
// bytes it could not take yet), the forks it cost the master, and its CPU. Both print to a pipe this process
// reads and counts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis, startReplicaOf, sleep } from '../lib/redis.mjs';
import { redisBenchmarkSets } from '../lib/load.mjs';
import { summary, fmt } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const REPS = smoke ? 1 : Number(process.env.BENCH_TAIL_REPS ?? 3);
const REQUESTS = smoke ? 20_000 : Number(process.env.BENCH_TAIL_REQUESTS ?? 2_000_000);
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
const FOLLOWING = /following \w+:\d+ with \+CONTINUE/;
const TOOLS = {
  'tail --json': { bin: process.execPath, args: (port) => [cli, 'tail', `127.0.0.1:${port}`, '--json', '--no-capture'], ready: FOLLOWING, isSet: (line) => line.includes('"argv":["SET"') },
  'tail --no-tui': { bin: process.execPath, args: (port) => [cli, 'tail', `127.0.0.1:${port}`, '--no-tui', '--no-capture'], ready: FOLLOWING, isSet: (line) => line.includes(' SET ') },
  'redis-cli --replica': { bin: 'redis-cli', args: (port) => ['-h', '127.0.0.1', '-p', String(port), '--replica'], ready: /Logging commands from master/, isSet: (line) => line.startsWith('"SET"') },
};

/** CPU ms of a process so far (utime + stime, in clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The output buffer (omem) of the master's replica connections other than `known`. */
async function toolOmem(master, known) {
  const list = String(await master.cmd('CLIENT', 'LIST', 'TYPE', 'replica'));
  return Math.max(0, ...list.split('\n').filter((l) => l && !known.has(/ addr=(\S+)/.exec(l)?.[1])).map((l) => Number(/ omem=(\d+)/.exec(l)?.[1] ?? 0)));
}

async function runOnce(master, known, name) {
  const tool = TOOLS[name];
  const forks0 = Number((await master.info('stats')).total_forks);
  const child = spawn(tool.bin, tool.args(master.port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise((resolve, reject) => {
    const check = () => (tool.ready.test(stderr) || tool.ready.test(stdout)) && resolve();
    child.stderr.on('data', check);
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before following: ${stderr}`)));
  });
  let sets = 0;
  let firstSetAt = null;
  let lastSetAt = null;
  let partial = '';
  child.stdout.on('data', (d) => {
    const text = partial + d.toString('latin1');
    const lines = text.split('\n');
    partial = lines.pop();
    if (stdout.length < 4096) stdout += text;
    for (const line of lines) {
      if (!tool.isSet(line)) continue;
      sets++;
      lastSetAt = performance.now();
      firstSetAt ??= lastSetAt;
    }
  });
  try {
    await ready;
    const forksAtStart = Number((await master.info('stats')).total_forks);
    const cpu0 = cpuMs(child.pid);
    let loading = true;
    let omemMax = 0;
    const poll = await master.connect();
    const sampler = (async () => {
      while (loading) {
        omemMax = Math.max(omemMax, await toolOmem({ cmd: (...a) => poll.send(a) }, known));
        await sleep(100);
      }
    })();
    const t0 = performance.now();
    const rate = await redisBenchmarkSets(master.port, { requests: REQUESTS });
    const tEnd = performance.now();
    loading = false;
    await sampler;
    poll.close();
    while (sets < REQUESTS) {
      if (performance.now() - tEnd > 120_000) throw new Error(`${name} printed ${sets} of ${REQUESTS} SETs within 120 s of the load's end`);
      await sleep(1);
    }
    return {
      masterRate: rate,
      printedRate: REQUESTS / ((lastSetAt - t0) / 1000),
      catchUpMs: Math.max(0, lastSetAt - tEnd),
      omemMax,
      forks: forksAtStart - forks0,
      cpuPct: ((cpuMs(child.pid) - cpu0) / (lastSetAt - t0)) * 100,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

const tables = [];
const goals = [];
// A master with a real replica: its backlog exists (tail needs one; redis-cli does not), made before measuring.
const master = await startRedis(['--repl-backlog-size', '64mb']);
const replica = await startReplicaOf(master.port);
try {
  const known = new Set(String(await master.cmd('CLIENT', 'LIST', 'TYPE', 'replica')).split('\n').map((l) => / addr=(\S+)/.exec(l)?.[1]).filter(Boolean));
  const runs = Object.fromEntries(Object.keys(TOOLS).map((n) => [n, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const name of Object.keys(TOOLS)) {
      const r = await runOnce(master, known, name);
      runs[name].push(r);
      log(`tail-vs-redis-cli rep ${rep + 1} ${name}: master ${Math.round(r.masterRate)} SET/s, printed ${Math.round(r.printedRate)} SET/s, ` +
        `catch-up ${r.catchUpMs.toFixed(1)} ms, omem max ${r.omemMax} B, forks ${r.forks}, CPU ${r.cpuPct.toFixed(0)}%`);
    }
  }
  const row = (name) => {
    const s = (f, d) => fmt(summary(runs[name].map(f)), d);
    return [name, s((r) => r.masterRate / 1000, 0), s((r) => r.printedRate / 1000, 0), s((r) => r.catchUpMs, 1), s((r) => r.omemMax / 2 ** 20, 1), s((r) => r.forks, 0), s((r) => r.cpuPct, 0)];
  };
  tables.push({
    title: `repl-spy tail beside redis-cli --replica: redis-benchmark SET at max rate (${REQUESTS} requests, -P 32, 50 clients), ${REPS} interleaved repetitions`,
    columns: ['tool', 'master k SET/s', 'printed k SET/s', 'catch-up ms', 'master omem max MiB', 'forks', 'CPU %'],
    rows: Object.keys(TOOLS).map(row),
  });
  const med = (name, f) => summary(runs[name].map(f)).median;
  const ratio = med('tail --json', (r) => r.printedRate) / med('redis-cli --replica', (r) => r.printedRate);
  const catchUp = summary(runs['tail --json'].map((r) => r.catchUpMs));
  goals.push({ goal: 'tail --json keeps up with the master: catch-up within 10 ms of the end of the load', value: `${catchUp.median.toFixed(1)} ms (max ${catchUp.max.toFixed(1)})`, met: catchUp.max <= 10 });
  goals.push({ goal: 'tail --json prints at least 5× the SETs per second of redis-cli --replica', value: `${ratio.toFixed(1)}×`, met: ratio >= 5 });
  const tails = [...runs['tail --json'], ...runs['tail --no-tui']];
  goals.push({ goal: 'tail costs the master no fork (redis-cli --replica: one per start)', value: `${Math.max(...tails.map((r) => r.forks))} vs ${Math.min(...runs['redis-cli --replica'].map((r) => r.forks))}`, met: tails.every((r) => r.forks === 0) });
} finally {
  await replica.stop();
  await master.stop();
}

writeResult(out, {
  scenario: 'tail-vs-redis-cli',
  title: 'tail beside redis-cli --replica',
  params: { reps: REPS, requests: REQUESTS },
  notes: [
    'printed SET/s = the load\'s SETs divided by the time from the start of the load until the tool printed the last one (so at most the master\'s rate).',
    'catch-up = from the end of the load until the tool printed the last SET.',
    'master omem = the largest output buffer the master held for the tool\'s connection (CLIENT LIST, sampled every 100 ms): bytes the tool had not read yet.',
    'forks = total_forks of the master grown by the tool\'s start (redis-cli --replica: SYNC, a BGSAVE even for its empty RDB).',
    'CPU % of one core over the same span; tail prints --json, redis-cli its quoted argv lines, both into a pipe this process counts.',
  ],
  tables,
  goals,
});
