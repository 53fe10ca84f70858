// Scenario: `repl-spy report` of a large capture. The capture is written with repl-spy's own capture writer (as
// the proxy writes one): a replica's full sync of a small RDB, then COMMANDS propagated commands (SET, HSET, INCR,
// EXPIRE, DEL over 20 key prefixes in db 0 and 1) at 50k per second of recorded time in 64 KiB chunks, the
// replica's REPLCONF ACK every second (with a 20 s stall in the middle) and the clock's ticks every 250 ms: about
// 1 GB for 30 M commands. Measured, for a quarter of the capture and the whole (bounded memory means the same
// peak for both): wall and CPU seconds of the process, peak RSS (VmHWM, sampled), the report's size.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCaptureWriter } from '../../dist/capture/writer.js';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';
import { measureChild } from '../lib/child-usage.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../dist/cli.js');
const { smoke, out } = scenarioArgs();
const COMMANDS = smoke ? 200_000 : Number(process.env.BENCH_REPORT_COMMANDS ?? 30_000_000);
const REPS = smoke ? 1 : Number(process.env.BENCH_REPORT_REPS ?? 2);
const COMMANDS_PER_SEC = 50_000;
const REPLID = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4';
const PREFIXES = Array.from({ length: 20 }, (_, i) => `${['user', 'session', 'cart', 'order', 'stock'][i % 5]}${i}`);

const resp = (argv) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** 256 different 64 KiB chunks of whole commands (the stream cycles through them). */
function commandChunks() {
  const chunks = [];
  let n = 0;
  for (let c = 0; c < 256; c++) {
    const parts = [];
    let bytes = 0;
    let count = 0;
    while (bytes < 64 * 1024 - 200) {
      const key = `${PREFIXES[n % PREFIXES.length]}:${(n * 7919) % 1_000_003}`;
      const kind = n % 10;
      const text =
        kind < 5 ? resp(['SET', key, `v${n % 1000}`]) :
        kind < 7 ? resp(['HSET', key, 'f', String(n % 100)]) :
        kind < 9 ? resp(['INCR', key]) :
        n % 20 === 9 ? resp(['EXPIRE', key, '60']) : resp(['DEL', key]);
      parts.push(text);
      bytes += text.length;
      count++;
      n++;
    }
    chunks.push({ bytes: Buffer.from(parts.join(''), 'latin1'), count });
  }
  return chunks;
}

/** A minimal RDB 9 with a few keys and no stored checksum. */
function smallRdb() {
  const str = (s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
  return Buffer.concat([
    Buffer.from('REDIS0009'), Buffer.from([0xfa]), str('redis-ver'), str('7.0.15'), Buffer.from([0xfe, 0x00, 0xfb, 0x02, 0x00]),
    Buffer.from([0x00]), str('user0:1'), str('alice'), Buffer.from([0x00]), str('user1:2'), str('bob'), Buffer.from([0xff]), Buffer.alloc(8),
  ]);
}

async function makeCapture(file, commands) {
  const t0 = Date.UTC(2026, 0, 1);
  const writer = openCaptureWriter({ path: file, upstream: '10.0.0.9:6379', captureRdb: 'full', captureSecrets: false, maxQueueBytes: 512 * 1024 * 1024, startedAt: t0 });
  const wire = (e) => writer.wire(e);
  const drained = async () => {
    while (writer.stats().queuedBytes > 64 * 1024 * 1024) await new Promise((r) => setTimeout(r, 5));
  };
  const send = (at, from, text) => wire({ kind: 'bytes', link: 1, at, from, chunk: Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1') });
  wire({ kind: 'open', link: 1, at: t0, replica: '10.0.0.2:41000', master: '10.0.0.9:6379' });
  send(t0 + 1, 'replica', resp(['PING']));
  send(t0 + 2, 'master', '+PONG\r\n');
  send(t0 + 3, 'replica', resp(['REPLCONF', 'listening-port', '6380']));
  send(t0 + 4, 'master', '+OK\r\n');
  send(t0 + 5, 'replica', resp(['PSYNC', '?', '-1']));
  send(t0 + 6, 'master', `+FULLRESYNC ${REPLID} 0\r\n`);
  const rdb = smallRdb();
  send(t0 + 200, 'master', Buffer.concat([Buffer.from(`$${rdb.length}\r\n`), rdb]));
  send(t0 + 300, 'replica', resp(['REPLCONF', 'ACK', '0']));
  const chunks = commandChunks();
  let sent = 0;
  let offset = 0;
  let at = t0 + 400;
  let nextAck = at + 1000;
  let nextTick = t0;
  const stall = { from: t0 + 300_000, to: t0 + 320_000 };
  for (let i = 0; sent < commands; i++) {
    const chunk = chunks[i % chunks.length];
    send(at, 'master', chunk.bytes);
    sent += chunk.count;
    offset += chunk.bytes.length;
    at += (chunk.count * 1000) / COMMANDS_PER_SEC;
    while (nextTick <= at) {
      wire({ kind: 'tick', at: nextTick });
      nextTick += 250;
    }
    if (at >= nextAck) {
      if (at < stall.from || at > stall.to) send(at, 'replica', resp(['REPLCONF', 'ACK', String(offset)]));
      nextAck += 1000;
    }
    if (i % 64 === 0) await drained();
  }
  wire({ kind: 'close', link: 1, at: at + 10, by: 'replica', reason: 'closed' });
  await writer.close(at + 10);
  return { commands: sent, offset };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-report-'));
try {
  const sizes = [Math.round(COMMANDS / 4), COMMANDS];
  const rows = [];
  const whole = {};
  for (const commands of sizes) {
    const file = path.join(dir, `stream-${commands}.rspy`);
    const html = path.join(dir, `stream-${commands}.html`);
    const t = performance.now();
    const made = await makeCapture(file, commands);
    const bytes = statSync(file).size;
    log(`report: ${mb(bytes).toFixed(0)} MiB capture, ${made.commands} commands, written in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    const runs = [];
    for (let rep = 0; rep < REPS; rep++) {
      const r = await measureChild(process.execPath, [cli, 'report', file, '-o', html], { sampleMs: 50 });
      r.reportBytes = statSync(html).size;
      runs.push(r);
      log(`  rep ${rep + 1}: ${r.wallS.toFixed(1)} s wall, ${r.cpuS.toFixed(1)} s CPU, ${r.rssMb.toFixed(0)} MiB peak RSS, report ${(r.reportBytes / 1024).toFixed(0)} KiB`);
    }
    const s = {
      wall: summary(runs.map((r) => r.wallS)),
      cpu: summary(runs.map((r) => r.cpuS)),
      rss: summary(runs.map((r) => r.rssMb)),
      report: summary(runs.map((r) => r.reportBytes / 1024)),
    };
    rows.push([`${mb(bytes).toFixed(0)} MiB, ${(made.commands / 1e6).toFixed(1)} M commands`, fmt(s.wall, 1), fmt(s.cpu, 1), fmt(summary(runs.map((r) => made.commands / r.cpuS / 1e6)), 2), fmt(s.rss, 0), fmt(s.report, 0)]);
    Object.assign(whole, { bytes, commands: made.commands, ...s });
  }
  const quarterRss = Number(rows[0][4].split(' ')[0]);
  writeResult(out, {
    scenario: 'report',
    title: '`repl-spy report` of a large capture (one link: a full sync, then the command stream)',
    params: { commands: COMMANDS, commandsPerSecond: COMMANDS_PER_SEC, reps: REPS, captureBytes: whole.bytes },
    notes: [
      'The capture is synthetic but written by repl-spy\'s capture writer as the proxy writes one: 64 KiB chunks of SET/HSET/INCR/EXPIRE/DEL over 20 key prefixes, ACKs every second with a 20 s stall, ticks every 250 ms; the report decodes it with the replay pipeline (RDB analysis on).',
      'CPU seconds are the process\'s own (rusage of the reaped child); peak RSS is VmHWM sampled every 50 ms; the quarter-size capture shows that memory does not grow with the capture.',
    ],
    tables: [{ title: `${REPS} repetitions each`, columns: ['capture', 'wall s', 'CPU s', 'M commands per CPU s', 'peak RSS MiB', 'report KiB'], rows }],
    goals: [
      { goal: 'report of the whole capture < 5 MB', value: `${(whole.report.median / 1024).toFixed(2)} MiB`, met: whole.report.median * 1024 < 5e6 },
      { goal: 'in < 60 s (wall)', value: `${whole.wall.median.toFixed(1)} s`, met: whole.wall.median < 60 },
      { goal: 'bounded memory: peak RSS of the whole within 25 % of the quarter', value: `${whole.rss.median.toFixed(0)} vs ${quarterRss} MiB`, met: whole.rss.median < quarterRss * 1.25 },
    ],
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
