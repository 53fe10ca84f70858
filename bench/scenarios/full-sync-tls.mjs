// Scenario: full sync of a large dataset over TLS (tls-replication yes), direct vs through repl-spy with TLS on
// both legs (the bare pump, and everything on), side by side in every repetition, with the proxy's CPU per GiB
// it forwarded: what decrypting and re-encrypting costs on top of what the plaintext full-sync scenario measures.
import { freePort } from '../../dist/lab/redis-process.js';
import { startRedis, populate } from '../lib/redis.mjs';
import { syncOnce, syncTimeCells } from '../lib/sync.mjs';
import { makeBenchTls } from '../lib/tls.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const SIZE_MB = smoke ? 2 : Number(process.env.BENCH_SYNC_MB ?? 1024);
const REPS = smoke ? 1 : Number(process.env.BENCH_SYNC_REPS ?? 3);
const MODES = (process.env.BENCH_SYNC_MODES ?? 'diskless,disk').split(',');
const VARIANTS = ['direct', 'pump', 'full'];
const LABEL = {
  direct: 'direct, TLS',
  pump: 'repl-spy, TLS both legs: bare pump',
  full: 'repl-spy, TLS both legs: all on (decode, capture, RDB analysis)',
};
const GiB = 2 ** 30;

const tls = makeBenchTls();
const tables = [];
const goals = [];
try {
  for (const mode of MODES) {
    const tlsPort = await freePort();
    const master = await startRedis(['--rdbcompression', 'no', '--repl-diskless-sync', mode === 'diskless' ? 'yes' : 'no', ...tls.masterArgs(tlsPort)]);
    try {
      const keys = await populate(master, SIZE_MB * 1024 * 1024);
      log(`full-sync-tls ${mode}: ${keys} keys, ~${SIZE_MB} MB`);
      const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
      for (let rep = 0; rep < REPS; rep++) {
        for (const v of VARIANTS) {
          const r = await syncOnce(tlsPort, v, { replicaArgs: tls.replicaArgs, proxyTls: tls.proxy });
          if (r.keys !== keys) throw new Error(`${v}: replica has ${r.keys} keys, master ${keys}`);
          runs[v].push(r);
          log(`  ${mode} rep ${rep + 1} ${v}: total ${(r.totalMs / 1000).toFixed(2)} s` +
            (r.stats ? `, proxy CPU ${(r.stats.cpuMs / 1000).toFixed(1)} s for ${(r.stats.wireBytes / GiB).toFixed(2)} GiB` : ''));
        }
      }
      const cpuPerGiB = (r) => r.stats.cpuMs / 1000 / (r.stats.wireBytes / GiB);
      const rows = VARIANTS.map((v) => {
        const rs = runs[v];
        return [
          LABEL[v],
          ...syncTimeCells(runs, v),
          rs[0].stats ? fmt(summary(rs.map((r) => r.stats.cpuMs / 1000)), 1) : '',
          rs[0].stats ? fmt(summary(rs.map(cpuPerGiB)), 2) : '',
          rs[0].stats ? fmt(summary(rs.map((r) => mb(r.stats.maxRss))), 0) : '',
        ];
      });
      tables.push({
        title: `Full sync over TLS, ${mode}, ${SIZE_MB} MB RDB (${keys} keys), ${REPS} interleaved repetitions`,
        columns: ['path', 'sync s', 'ratio', 'transfer s', 'transfer ratio', 'proxy CPU s', 'proxy CPU s per GiB', 'proxy peak RSS MB'],
        rows,
      });
      for (const v of ['pump', 'full']) {
        const ratio = summary(runs[v].map((r, i) => r.totalMs / runs.direct[i].totalMs));
        goals.push({ goal: `TLS full sync ${mode} through ${LABEL[v]}: ratio to direct TLS (no goal of its own)`, value: ratio.median.toFixed(3), met: null });
      }
    } finally {
      await master.stop();
    }
  }
} finally {
  tls.remove();
}

writeResult(out, {
  scenario: 'full-sync-tls',
  title: 'Full sync over TLS',
  params: { sizeMB: SIZE_MB, reps: REPS, modes: MODES, valueBytes: 1000, rdbcompression: 'no', tls: 'TLSv1.3, P-256 certificates' },
  notes: [
    'Replication over TLS (tls-replication yes) to the master\'s tls-port; with repl-spy, the replica speaks TLS to repl-spy and repl-spy to the master, so every byte is decrypted and encrypted again.',
    'Proxy CPU per GiB: user + system CPU seconds of the proxy process divided by the bytes it forwarded (both directions, decrypted).',
    'Each repetition runs every path back to back with a fresh replica and a fresh proxy process; ratios are per repetition against the direct TLS run.',
  ],
  tables,
  goals,
});
