// Scenario 1: full sync of a large dataset, disk and diskless, direct vs through repl-spy with each layer on.
// Every repetition runs all variants back to back (interleaved), with a fresh replica and a fresh proxy process
// each time; ratios are taken against the direct run of the same repetition, so machine drift cancels out.
import { startRedis, populate } from '../lib/redis.mjs';
import { syncOnce, syncTimeCells } from '../lib/sync.mjs';
import { requireHaproxy } from '../lib/haproxy.mjs';
import { withBase } from '../lib/proxy.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const SIZE_MB = smoke ? 2 : Number(process.env.BENCH_SYNC_MB ?? 1024);
const REPS = smoke ? 1 : Number(process.env.BENCH_SYNC_REPS ?? 3);
const MODES = (process.env.BENCH_SYNC_MODES ?? 'diskless,disk').split(',');
/** BENCH_SYNC_VARIANTS=pump,full: only these (and direct, which the ratios need); with BENCH_BASE the pump, all on
 *  and the real command run from that checkout too ("before", side by side). */
const ONLY = process.env.BENCH_SYNC_VARIANTS?.split(',');
const VARIANTS = withBase(['direct', 'haproxy', 'pump', 'decode', 'capture', 'full', 'nocrc', 'cli-json'])
  .filter((v) => !ONLY || v === 'direct' || ONLY.includes(v.replace(/@base$/, '')));
const label = (v) => (v.endsWith('@base') ? `${LABEL[v.slice(0, -5)]}, before` : LABEL[v]);
const LABEL = {
  direct: 'direct',
  haproxy: 'haproxy (reference, C)',
  pump: 'proxy: bare pump',
  decode: 'proxy: + decode',
  capture: 'proxy: + decode + capture',
  full: 'proxy: + RDB analysis (all on)',
  nocrc: 'proxy: all on, RDB checksum not verified (--no-rdb-checksum)',
  'cli-json': 'repl-spy --json > file (the real command, all on)',
};
const GB = 1024 / SIZE_MB; // proxy CPU s per GB of snapshot

requireHaproxy();
const tables = [];
const goals = [];
const results = {};
for (const mode of MODES) {
  const master = await startRedis(['--rdbcompression', 'no', '--repl-diskless-sync', mode === 'diskless' ? 'yes' : 'no']);
  try {
    const keys = await populate(master, SIZE_MB * 1024 * 1024);
    log(`full-sync ${mode}: ${keys} keys, ~${SIZE_MB} MB`);
    const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const v of VARIANTS) {
        const r = await syncOnce(master.port, v);
        if (r.keys !== keys) throw new Error(`${v}: replica has ${r.keys} keys, master ${keys}`);
        runs[v].push(r);
        log(`  ${mode} rep ${rep + 1} ${v}: total ${(r.totalMs / 1000).toFixed(2)} s, transfer ${(r.transferMs / 1000).toFixed(2)} s` +
          (r.stats ? `, proxy peak RSS ${mb(r.stats.maxRss).toFixed(0)} MB, CPU ${(r.stats.cpuMs / 1000).toFixed(1)} s` : ''));
      }
    }
    const rows = VARIANTS.map((v) => {
      const rs = runs[v];
      return [
        label(v),
        ...syncTimeCells(runs, v),
        rs[0].stats ? fmt(summary(rs.map((r) => mb(r.stats.maxRss))), 0) : '',
        rs[0].stats ? fmt(summary(rs.map((r) => r.stats.cpuMs / 1000)), 1) : '',
        rs[0].stats ? fmt(summary(rs.map((r) => (r.stats.cpuMs / 1000) * GB)), 2) : '',
        rs[0].stats && runs.pump ? fmt(summary(rs.map((r, i) => r.stats.cpuMs / runs.pump[i].stats.cpuMs)), 2) : '',
      ];
    });
    results[mode] = runs;
    tables.push({
      title: `Full sync, ${mode}, ${SIZE_MB} MB RDB (${keys} keys), ${REPS} interleaved repetitions`,
      columns: ['path', 'sync s', 'ratio', 'transfer s', 'transfer ratio', 'proxy peak RSS MB', 'proxy CPU s', 'proxy CPU s/GB', 'CPU vs bare pump'],
      rows,
    });
    for (const v of ['full', 'cli-json'].filter((x) => runs[x] && runs.pump)) {
      const cpu = summary(runs[v].map((r, i) => r.stats.cpuMs / runs.pump[i].stats.cpuMs));
      goals.push({ goal: `full sync ${mode}, ${label(v)}: proxy CPU per GB <= 1.5x the bare pump's`, value: `${cpu.median.toFixed(2)}x`, met: cpu.median <= 1.5 });
    }
    if (!runs.full) continue;
    const allOn = summary(runs.full.map((r, i) => r.totalMs / runs.direct[i].totalMs));
    goals.push({ goal: `full sync ${mode}, everything on: ratio <= 1.05`, value: allOn.median.toFixed(3), met: allOn.median <= 1.05 });
    if (runs.nocrc) {
      const noCrc = summary(runs.nocrc.map((r, i) => r.totalMs / runs.direct[i].totalMs));
      goals.push({ goal: `full sync ${mode}, everything on but the RDB checksum (--no-rdb-checksum): ratio (no goal of its own)`, value: noCrc.median.toFixed(3), met: null });
    }
    if (runs.haproxy) {
      const reference = summary(runs.haproxy.map((r, i) => r.totalMs / runs.direct[i].totalMs));
      goals.push({ goal: `reference: full sync ${mode} through haproxy (C) in the same run (no goal of its own)`, value: reference.median.toFixed(3), met: null });
    }
  } finally {
    await master.stop();
  }
}

writeResult(out, {
  scenario: 'full-sync',
  title: 'Full sync of a large dataset',
  params: { sizeMB: SIZE_MB, reps: REPS, modes: MODES, valueBytes: 1000, rdbcompression: 'no' },
  notes: [
    'Sync = REPLICAOF until the replica reports link up, no sync in progress and no loading; transfer = until the replica starts loading the RDB (polled every 10 ms).',
    'Data: DEBUG POPULATE with 1000-byte values, rdbcompression off so the RDB is as large as the data.',
    'haproxy (TCP mode) is the reference: what one proxy hop written in C costs on this machine, in the same repetitions.',
    'Each repetition runs every path back to back with a fresh replica (disk-based load) and a fresh proxy process; ratios are per repetition against the direct run.',
  ],
  tables,
  goals,
});
