// Full sync of one shard of the cluster lab: the real `repl-spy lab --cluster 3 --json` (every node behind its own
// proxy, everything on: decoding, RDB analysis, capture) with its first master filled, side by side with a direct
// replica of the same master and one through a bare Node pump. Variants per repetition, interleaved:
//   direct         a fresh (non-cluster) replica, REPLICAOF the master's own port
//   pump           the same through a bare Node pump (proxy-child.mjs)
//   lab            the same through the lab's proxy of that master
//   lab-cluster    a fresh cluster node that joins (CLUSTER MEET) and CLUSTER REPLICATEs the master: the way a
//                  cluster replica syncs, through the proxy the master announces
// The proxy CPU of the lab variants is the lab process's (all its proxies, its INFO polls) over the sync.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RespClient, startRedis, isSynced, sleep } from '../lib/redis.mjs';
import { startPath } from '../lib/proxy.mjs';
import { processUsage } from '../lib/cli-proxy.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';

const { smoke, out } = scenarioArgs();
const SIZE_MB = smoke ? 2 : Number(process.env.BENCH_CLUSTER_MB ?? 512);
const REPS = smoke ? 1 : Number(process.env.BENCH_CLUSTER_REPS ?? 3);
const VARIANTS = ['direct', 'pump', 'lab', 'lab-cluster'];
const LABEL = {
  direct: 'direct (REPLICAOF the master)',
  pump: 'proxy: bare pump',
  lab: 'repl-spy lab --cluster 3 --json: the master\'s proxy (REPLICAOF)',
  'lab-cluster': 'repl-spy lab --cluster 3 --json: a cluster replica (CLUSTER REPLICATE)',
};
const PASSWORD = 'bench-cluster-password';
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

/** The cluster lab as users run it; resolves once the cluster is formed, with its nodes' ports. */
async function startClusterLab(dir) {
  const child = spawn(process.execPath, [cli, 'lab', '--cluster', '3', '--cluster-replicas', '0', '--rate', '0', '--json',
    '--password', PASSWORD, '--capture', path.join(dir, 'cluster.rspy'), '--log-file', path.join(dir, 'lab.log')],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; !stderr.includes('cluster_state:ok'); i++) {
    if (child.exitCode !== null || i > 3000) throw new Error(`the cluster lab did not form: ${stderr.slice(-800)}`);
    await sleep(20);
  }
  const nodes = [...stderr.matchAll(/^ {2}(master-\d+)\s+127\.0\.0\.1:(\d+)\s+proxy 127\.0\.0\.1:(\d+)\s+bus (\d+)/gm)]
    .map((m) => ({ name: m[1], port: Number(m[2]), proxyPort: Number(m[3]), busPort: Number(m[4]) }));
  if (nodes.length !== 3) throw new Error(`could not read the lab's nodes from: ${stderr}`);
  return {
    pid: child.pid,
    nodes,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function connect(port) {
  const c = await RespClient.connect(port);
  await c.send(['AUTH', PASSWORD]);
  return c;
}

function parseInfo(text) {
  return Object.fromEntries(String(text).split('\r\n').filter((l) => l.includes(':') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}

/** Until the master has no fork running (its AOF rewrite after the fill, a BGSAVE of the previous sync). */
async function quiet(master) {
  for (;;) {
    const info = parseInfo(await master.send(['INFO', 'persistence']));
    if (info.rdb_bgsave_in_progress === '0' && info.aof_rewrite_in_progress === '0') return;
    await sleep(50);
  }
}

/** A fresh replica of `master` through `variant`; times and the proxy's CPU and RSS over the sync. */
async function syncOnce(lab, master, masterClient, variant) {
  await quiet(masterClient);
  const proxy = variant === 'pump' ? await startPath('pump', master.port) : null;
  const cluster = variant === 'lab-cluster';
  const replica = await startRedis(['--masterauth', PASSWORD, ...(cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1'] : [])]);
  const usage = async () => (proxy ? proxy.stats() : variant.startsWith('lab') ? processUsage(lab.pid) : null);
  let replicaId = null;
  try {
    const before = await usage();
    const t0 = performance.now();
    if (cluster) {
      replicaId = String(await replica.cmd('CLUSTER', 'MYID'));
      const masterId = String(await masterClient.send(['CLUSTER', 'MYID']));
      await replica.cmd('CLUSTER', 'MEET', '127.0.0.1', master.proxyPort, master.busPort);
      while (!String(await replica.cmd('CLUSTER', 'NODES')).includes(masterId)) await sleep(10);
      await replica.cmd('CLUSTER', 'REPLICATE', masterId);
    } else {
      await replica.cmd('REPLICAOF', '127.0.0.1', variant === 'lab' ? master.proxyPort : proxy ? proxy.port : master.port);
    }
    let transferMs = null;
    for (;;) {
      const info = await replica.info('all');
      const now = performance.now();
      if (transferMs === null && (info.loading === '1' || isSynced(info))) transferMs = now - t0;
      if (isSynced(info) && info.loading === '0') {
        const after = await usage();
        const stats = after ? { cpuMs: after.cpuMs - before.cpuMs, maxRss: after.maxRss, rss: after.rss } : null;
        const keys = Number(/keys=(\d+)/.exec(info.db0 ?? '')?.[1] ?? 0);
        return { totalMs: now - t0, transferMs, keys, stats };
      }
      if (now - t0 > 900_000) throw new Error(`${variant}: sync did not finish in 15 minutes`);
      await sleep(10);
    }
  } finally {
    await replica.stop();
    await proxy?.stop();
    // the cluster forgets the node, so that the next repetition's cluster is the same as this one's
    if (replicaId) {
      for (const n of lab.nodes) {
        const c = await connect(n.port);
        await c.send(['CLUSTER', 'FORGET', replicaId]).catch(() => {});
        c.close();
      }
    }
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-cluster-'));
const lab = await startClusterLab(dir);
let result;
try {
  const master = lab.nodes[0];
  const masterClient = await connect(master.port);
  const keys = Math.max(1, Math.round((SIZE_MB * 1024 * 1024) / 1024));
  // as in the full-sync scenario: the RDB as large as the data (the lab's servers compress by default)
  await masterClient.send(['CONFIG', 'SET', 'rdbcompression', 'no']);
  await masterClient.send(['DEBUG', 'POPULATE', keys, 'key', 1000]);
  log(`cluster-full-sync: ${keys} keys, ~${SIZE_MB} MB in ${master.name}`);
  const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const v of VARIANTS) {
      const r = await syncOnce(lab, master, masterClient, v);
      if (r.keys !== keys) throw new Error(`${v}: replica has ${r.keys} keys, master ${keys}`);
      runs[v].push(r);
      log(`  rep ${rep + 1} ${v}: total ${(r.totalMs / 1000).toFixed(2)} s, transfer ${(r.transferMs / 1000).toFixed(2)} s` +
        (r.stats ? `, proxy CPU ${(r.stats.cpuMs / 1000).toFixed(2)} s, RSS ${mb(r.stats.rss).toFixed(0)} MB` : ''));
    }
  }
  masterClient.close();
  const ratio = (v, key) => (v === 'direct' ? '1' : fmt(summary(runs[v].map((r, i) => r[key] / runs.direct[i][key])), 3));
  const rows = VARIANTS.map((v) => {
    const rs = runs[v];
    return [
      LABEL[v],
      fmt(summary(rs.map((r) => r.totalMs / 1000)), 2), ratio(v, 'totalMs'),
      fmt(summary(rs.map((r) => r.transferMs / 1000)), 2), ratio(v, 'transferMs'),
      rs[0].stats ? fmt(summary(rs.map((r) => r.stats.cpuMs / 1000)), 2) : '',
      rs[0].stats ? fmt(summary(rs.map((r) => r.stats.cpuMs / runs.pump[rs.indexOf(r)].stats.cpuMs)), 2) : '',
      rs[0].stats ? fmt(summary(rs.map((r) => mb(r.stats.maxRss))), 0) : '',
    ];
  });
  const labRatio = summary(runs.lab.map((r, i) => r.totalMs / runs.direct[i].totalMs));
  const pumpRatio = summary(runs.pump.map((r, i) => r.totalMs / runs.direct[i].totalMs));
  result = {
    scenario: 'cluster-full-sync',
    title: 'Full sync of one shard of the cluster lab',
    params: { sizeMB: SIZE_MB, reps: REPS, valueBytes: 1000, cluster: '3 masters, 0 replicas each', sync: 'disk (the lab\'s setting)', rdbcompression: 'no' },
    notes: [
      'The lab runs as users run it (`repl-spy lab --cluster 3 --cluster-replicas 0 --rate 0 --json`, capture on); its first master is filled with DEBUG POPULATE (1000-byte values) and every repetition syncs a fresh replica of it each way, back to back.',
      'Proxy CPU of the lab rows is the whole lab process over the sync: the three nodes\' proxies with decoding, RDB analysis and capture, and the lab\'s INFO polls. Peak RSS of the lab rows is the lab process\'s since it started.',
      'lab-cluster: a fresh cluster-enabled node joins with CLUSTER MEET at the master\'s proxy and CLUSTER REPLICATE; the cluster then forgets it (CLUSTER FORGET on every master). Its replica also builds the slot index while loading.',
    ],
    tables: [{
      title: `Full sync of one shard, ${SIZE_MB} MB RDB (${keys} keys), ${REPS} interleaved repetitions`,
      columns: ['path', 'sync s', 'ratio', 'transfer s', 'transfer ratio', 'proxy CPU s', 'CPU vs bare pump', 'proxy peak RSS MB'],
      rows,
    }],
    goals: [
      { goal: 'one shard\'s full sync through the cluster lab\'s proxy: ratio to direct (no goal of its own; the bare pump\'s ratio in the same run is next)', value: labRatio.median.toFixed(3), met: null },
      { goal: 'reference: the same through a bare Node pump', value: pumpRatio.median.toFixed(3), met: null },
    ],
  };
} finally {
  await lab.stop();
  rmSync(dir, { recursive: true, force: true });
}
writeResult(out, result);
