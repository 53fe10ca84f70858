// Scenario: soak. One repl-spy process as users run it (`--json` read by a consumer, capture on) between a real
// master and its replicas, under the fault mix that once found the faults around the pump, for 10 minutes
// (`--duration S`, or BENCH_SOAK_S with run.mjs): a 20k SET/s write load; every 10 s 60 connections of random
// binary data that half-close; repeated CLIENT KILL TYPE replica; a replica killed with SIGKILL mid-RDB and
// restarted; the master killed with SIGKILL mid-RDB and restarted on its port; 1000 idle and 200 junk
// connections held open; a replica that never reads. Reports the proxy's open fds and RSS every 10 s; at the end
// the faults stop, the held connections close, and a replica that stayed must equal the master (DEBUG DIGEST).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeCommand, isSynced, populate, sleep, startRedis, startReplicaOf } from '../lib/redis.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { out } = scenarioArgs();
const argv = process.argv.slice(2);
const DURATION_S = Number(argv.includes('--duration') ? argv[argv.indexOf('--duration') + 1] : (process.env.BENCH_SOAK_S ?? 600));
const SAMPLE_MS = 10_000;
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-soak-'));
const counts = { randomConns: 0, clientKills: 0, replicaKills: 0, masterKills: 0, nonReaders: 0, sets: 0, events: 0, violations: 0 };

const masterArgs = ['--repl-diskless-sync', 'no', '--rdb-key-save-delay', '20'];
let master = await startRedis(masterArgs);
const masterPort = master.port;
await populate(master, 20 * 1024 * 1024);

// the proxy, as a user runs it; its --json output is read (and counted) here
const proxyProc = spawn(process.execPath, [cli, '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${masterPort}`, '--json', '--capture', path.join(tmp, 'soak.rspy'), '--log-file', path.join(tmp, 'soak.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
let stderr = '';
proxyProc.stderr.on('data', (d) => (stderr += d));
let partial = '';
proxyProc.stdout.on('data', (d) => {
  const lines = (partial + d).split('\n');
  partial = lines.pop();
  counts.events += lines.length;
  for (const l of lines) if (l.includes('"protocol-violation"')) counts.violations++;
});
for (let i = 0; i < 500 && !/listening on [^,]*:\d+/.test(stderr); i++) await sleep(20);
const proxyPort = Number(/listening on [^,]*:(\d+)/.exec(stderr)?.[1]);
if (!proxyPort) throw new Error(`the proxy did not start: ${stderr}`);

const procStat = () => {
  const fds = readdirSync(`/proc/${proxyProc.pid}/fd`).length;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proxyProc.pid}/status`, 'utf8'))[1]) / 1024;
  return { fds, rss };
};
const baseline = procStat();

const stable = await startReplicaOf(proxyPort);
let running = true;
const sockets = new Set();
const track = (s) => {
  sockets.add(s);
  s.on('error', () => {});
  s.on('close', () => sockets.delete(s));
  return s;
};
const connect = () => track(net.connect({ host: '127.0.0.1', port: proxyPort }));
const every = (ms, fn) => (async () => {
  while (running) {
    await fn().catch((err) => log(`soak: ${err.message}`));
    for (let t = 0; t < ms && running; t += 100) await sleep(100);
  }
})();

// 20k SET/s, reconnecting when the master is killed
const load = (async () => {
  while (running) {
    const s = net.connect({ host: '127.0.0.1', port: masterPort });
    s.on('error', () => {});
    s.on('data', () => {});
    const closed = new Promise((r) => s.once('close', r));
    const t0 = performance.now();
    let sent = 0;
    while (running && !s.destroyed) {
      const due = Math.floor(((performance.now() - t0) / 1000) * 20_000);
      const batch = [];
      for (; sent < due; sent++) batch.push(encodeCommand(['SET', `soak:${counts.sets++ % 100_000}`, 'v'.repeat(32)]));
      if (batch.length && s.writable) s.write(Buffer.concat(batch));
      await sleep(5);
    }
    s.destroy();
    await closed;
    if (running) await sleep(200);
  }
})();

// held for the whole run: 1000 idle connections and 200 that sent junk
for (let i = 0; i < 1000; i++) connect();
for (let i = 0; i < 200; i++) connect().write(randomBytes(200));

const startedAt = performance.now();
const tasks = [
  load,
  every(10_000, async () => {
    // 60 connections of random binary data, half-closed
    await Promise.all(Array.from({ length: 60 }, () => new Promise((resolve) => {
      const s = connect();
      s.resume();
      s.once('close', resolve);
      s.end(randomBytes(16 * 1024));
      setTimeout(() => s.destroy(), 15_000).unref();
      counts.randomConns++;
    })));
  }),
  every(7_000, async () => {
    const c = await master.connect();
    await c.send(['CLIENT', 'KILL', 'TYPE', 'replica']).catch(() => {});
    c.close();
    counts.clientKills++;
  }),
  every(1_000, async () => {
    // a replica that never reads: asks for a full sync and stops reading; replaced once the master drops it
    if ([...sockets].some((s) => s.nonReader)) return;
    const s = connect();
    s.nonReader = true;
    s.write('PING\r\nREPLCONF capa eof\r\nPSYNC ? -1\r\n');
    s.pause();
    counts.nonReaders++;
  }),
  every(45_000, async () => {
    // a fresh replica, killed with SIGKILL in the middle of its RDB transfer
    const r = await startRedis();
    await r.cmd('REPLICAOF', '127.0.0.1', proxyPort);
    for (let i = 0; i < 1000 && (await r.info()).master_sync_in_progress !== '1'; i++) await sleep(10);
    await r.stop();
    counts.replicaKills++;
  }),
  every(120_000, async () => {
    if (performance.now() < 60_000 + startedAt) return; // not at once
    // the master, killed with SIGKILL while a replica's RDB is in flight, then restarted on its port
    const r = await startRedis();
    await r.cmd('REPLICAOF', '127.0.0.1', proxyPort);
    for (let i = 0; i < 1000 && (await r.info()).master_sync_in_progress !== '1'; i++) await sleep(10);
    await master.stop();
    counts.masterKills++;
    master = await startRedis(masterArgs, { port: masterPort });
    await populate(master, 20 * 1024 * 1024);
    await r.stop();
  }),
];

const samples = [];
const sample = () => {
  const { fds, rss } = procStat();
  const t = Math.round((performance.now() - startedAt) / 1000);
  samples.push([t, fds, Math.round(rss)]);
  log(`soak: ${t} s  fds ${fds}  RSS ${rss.toFixed(0)} MB  events ${counts.events}  held sockets ${sockets.size}`);
};
while (performance.now() - startedAt < DURATION_S * 1000) {
  await sleep(Math.min(SAMPLE_MS, DURATION_S * 1000 - (performance.now() - startedAt)));
  sample();
}
running = false;
await Promise.all(tasks);

// the faults are over: the held connections go, the stable replica must catch up and equal the master
for (const s of sockets) s.destroy();
let synced = false;
for (let i = 0; i < 600 && !synced; i++) {
  const [m, r] = [await master.info(), await stable.info()];
  synced = isSynced(r) && m.master_repl_offset === r.slave_repl_offset;
  if (!synced) await sleep(100);
}
const [dm, dr] = [await master.cmd('DEBUG', 'DIGEST'), await stable.cmd('DEBUG', 'DIGEST')];
await sleep(12_000); // half-close timeout and socket teardown
const after = procStat();
log(`soak: after the faults: fds ${after.fds} (${baseline.fds} at start + the stable replica's link), RSS ${after.rss.toFixed(0)} MB; digests ${dm === dr ? 'equal' : 'DIFFER'}`);
proxyProc.kill('SIGTERM');
await new Promise((r) => proxyProc.once('exit', r));
await stable.stop();
await master.stop();
rmSync(tmp, { recursive: true, force: true });

const maxRss = Math.max(after.rss, ...samples.map((s) => s[2]));
writeResult(out, {
  scenario: 'soak',
  title: `Soak: the fault mix around one proxy for ${DURATION_S} s`,
  params: { durationS: DURATION_S, ...counts },
  notes: [
    'The real CLI (`--json` read by this script, capture on) between a master (20k SET/s) and a replica that stays, with: 60 random-data half-closing connections every 10 s, CLIENT KILL TYPE replica every 7 s, a replica killed with SIGKILL mid-RDB every 45 s, the master killed with SIGKILL mid-RDB every 120 s (restarted on its port), 1000 idle and 200 junk connections held open, a replica that never reads.',
    `Counts: ${JSON.stringify(counts)}.`,
  ],
  tables: [
    { title: 'The proxy every 10 s (fds include the 1200 held connections, two each)', columns: ['second', 'open fds', 'RSS MB'], rows: samples },
    { title: 'After the faults (held connections closed, the stable replica caught up)', columns: ['open fds', 'fds at start', 'RSS MB', 'max RSS MB', 'replica digest equals master'], rows: [[after.fds, baseline.fds, Math.round(after.rss), Math.round(maxRss), dm === dr ? 'yes (1)' : 'no (0)']] },
  ],
  goals: [
    { goal: 'no fd leak: after the faults, at most the stable link (2 fds) above the start', value: `${after.fds} vs ${baseline.fds}`, met: after.fds <= baseline.fds + 4 },
    { goal: 'replica identical to the master (DEBUG DIGEST)', value: dm === dr ? 'equal' : 'differ', met: dm === dr },
    { goal: 'RSS bounded (< 150 MB) through the run and after it', value: `max ${Math.round(maxRss)} MB`, met: maxRss < 150 },
  ],
});
process.exit(0);
