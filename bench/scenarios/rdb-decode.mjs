#!/usr/bin/env node
// Benchmark (not a test): decoding speed of repl-spy's streaming RDB decoder (RdbObserver, fed 64 KiB
// chunks read from the file) next to the C `redis-check-rdb` on the same file, interleaved, several runs.
// The RDB is made by a real redis-server with DEBUG POPULATE (plus some collections). Runs on dist/:
// `npm run build` first. Usage: node bench/scenarios/rdb-decode.mjs [--smoke] [--keys N] [--runs N]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { scenarioArgs, writeResult } from '../lib/scenario.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { RdbObserver } = await import(path.resolve(here, '../../dist/decode/rdb/rdb-observer.js'));
const { freePort } = await import(path.resolve(here, '../../dist/lab/redis-process.js'));

const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const keys = opt('--keys', smoke ? 20_000 : 2_500_000);
const runs = opt('--runs', smoke ? 2 : 5);
const valueSize = opt('--value-size', 100);

async function makeRdb(dir) {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--enable-debug-command', 'yes', '--rdbcompression', 'no'], { stdio: 'ignore' });
  const cli = (...args) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    for (let i = 0; ; i++) {
      try {
        if (cli('PING') === 'PONG') break;
      } catch {
        if (i > 100) throw new Error('redis-server did not start');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    cli('DEBUG', 'POPULATE', String(keys), 'key', String(valueSize));
    // some collections too, so the decoder walks containers, not only strings
    const n = Math.max(10, Math.floor(keys / 1000));
    for (let i = 0; i < n; i++) {
      cli('RPUSH', `list:${i}`, ...Array.from({ length: 50 }, (_, j) => `item-${j}`));
      cli('HSET', `hash:${i}`, ...Array.from({ length: 20 }, (_, j) => [`f${j}`, `v${j}`]).flat());
    }
    const dbsize = Number(cli('DBSIZE'));
    cli('SAVE');
    return { file: path.join(dir, 'dump.rdb'), dbsize };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

function timeCheckRdb(file) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync('redis-check-rdb', [file], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 0 || !/RDB looks OK/.test(res.stdout)) throw new Error(`redis-check-rdb failed: ${res.stdout}${res.stderr}`);
  return ms;
}

function timeObserver(file) {
  const t0 = process.hrtime.bigint();
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.allocUnsafe(64 * 1024);
  const o = new RdbObserver();
  let summary = null;
  const emit = ({ phase, info }) => {
    if (phase === 'summary') summary = info;
    if (phase === 'error') throw new Error(`decoder error: ${JSON.stringify(info)}`);
  };
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    o.feed(chunk.subarray(0, n), emit);
  }
  fs.closeSync(fd);
  o.end(emit);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (summary?.checksum !== 'verified') throw new Error(`checksum not verified: ${summary?.checksum}`);
  return { ms, keys: summary.keys };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};
const fmt = (x) => x.toFixed(1);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-rdb-'));
try {
  const { file, dbsize } = await makeRdb(dir);
  const bytes = fs.statSync(file).size;
  const mb = bytes / 1e6;
  const res = { 'redis-check-rdb': [], RdbObserver: [] };
  timeObserver(file); // warm-up (JIT), not counted
  for (let i = 0; i < runs; i++) {
    res['redis-check-rdb'].push(timeCheckRdb(file));
    const o = timeObserver(file);
    if (o.keys !== dbsize) throw new Error(`decoder counted ${o.keys} keys, DBSIZE says ${dbsize}`);
    res.RdbObserver.push(o.ms);
  }
  console.log(`\nRDB: ${fmt(mb)} MB, ${dbsize} keys (DEBUG POPULATE ${keys} x ${valueSize} B, rdbcompression no), ${runs} runs, node ${process.version}, ${os.cpus().length} cpus\n`);
  console.log('| decoder | MB/s median | MB/s min | MB/s max | keys/s median |');
  console.log('|---|---|---|---|---|');
  const out = { scenario: 'rdb-decode', smoke, bytes, keys: dbsize, runs, node: process.version, results: {} };
  for (const [name, times] of Object.entries(res)) {
    const mbs = stats(times.map((ms) => mb / (ms / 1000)));
    const kps = stats(times.map((ms) => dbsize / (ms / 1000)));
    console.log(`| ${name} | ${fmt(mbs.median)} | ${fmt(mbs.min)} | ${fmt(mbs.max)} | ${Math.round(kps.median)} |`);
    out.results[name] = { mbPerSec: mbs, keysPerSec: kps, ms: times };
  }
  console.log(`\n${JSON.stringify(out)}`);
  // The bench runner's contract (bench/lib/scenario.mjs): one result object written to --out.
  const mbs = (name) => out.results[name].mbPerSec;
  const ours = mbs('RdbObserver').median;
  writeResult(scenarioArgs().out, {
    scenario: 'rdb-decode',
    title: 'RDB decoding speed: RdbObserver vs redis-check-rdb',
    params: { bytes, keys: dbsize, runs, valueSize, chunkBytes: 65536 },
    notes: [
      'The RDB is written by a real redis-server (DEBUG POPULATE plus lists and hashes, rdbcompression no); both decoders read the same file, interleaved, one warm-up run of RdbObserver not counted.',
      'redis-check-rdb timing includes its process start-up and reading the file.',
    ],
    tables: [{
      title: `${fmt(mb)} MB RDB, ${dbsize} keys, ${runs} runs`,
      columns: ['decoder', 'MB/s', 'keys/s (median)'],
      rows: Object.entries(out.results).map(([name, r]) => [name, `${fmt(r.mbPerSec.median)} (${fmt(r.mbPerSec.min)}–${fmt(r.mbPerSec.max)})`, Math.round(r.keysPerSec.median)]),
    }],
    goals: [{ goal: 'RdbObserver speed relative to redis-check-rdb (a reference, no goal of its own)', value: `${(ours / mbs('redis-check-rdb').median).toFixed(2)}x`, met: null }],
  });
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
