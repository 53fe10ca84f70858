// One full sync of a fresh replica, direct or through a fresh proxy process in a given mode.
import { startRedis, isSynced, sleep } from './redis.mjs';
import { startPath } from './proxy.mjs';
import { summary, fmt } from './stats.mjs';

/** One full sync: REPLICAOF until the link is up and the RDB loaded. Transfer ends when loading starts.
 *  `variant`: direct, haproxy (the reference proxy) or a repl-spy proxy mode (see proxy-child.mjs).
 *  Over TLS: `masterPort` is the master's tls-port, `replicaArgs` give the replica TLS (tls-replication yes) and
 *  `proxyTls` the proxy's files. */
export async function syncOnce(masterPort, variant, { replicaArgs = [], proxyTls = null } = {}) {
  const proxy = await startPath(variant, masterPort, proxyTls);
  const replica = await startRedis(replicaArgs);
  try {
    // the proxy's CPU over the sync alone, not its start-up
    const cpu0 = proxy?.stats ? (await proxy.stats()).cpuMs : 0;
    const t0 = performance.now();
    await replica.cmd('REPLICAOF', '127.0.0.1', proxy ? proxy.port : masterPort);
    let transferMs = null;
    for (;;) {
      const info = await replica.info('all');
      const now = performance.now();
      if (transferMs === null && (info.loading === '1' || isSynced(info))) transferMs = now - t0;
      if (isSynced(info) && info.loading === '0') {
        const stats = proxy?.stats ? { ...(await proxy.stats()) } : null;
        if (stats) stats.cpuMs -= cpu0;
        const keys = Number(/keys=(\d+)/.exec(info.db0 ?? '')?.[1] ?? 0);
        return { totalMs: now - t0, transferMs, keys, stats };
      }
      if (now - t0 > 900_000) throw new Error(`${variant}: sync did not finish in 15 minutes`);
      await sleep(10);
    }
  } finally {
    await replica.stop();
    if (proxy) {
      const final = await proxy.stop();
      if (final?.violations > 0) throw new Error(`${variant}: the decoder reported ${final.violations} protocol violations`);
    }
  }
}


/** The time cells of a variant's row: sync s, its ratio, transfer s, its ratio; ratios per repetition against
 *  `runs.direct`. */
export function syncTimeCells(runs, variant) {
  const rs = runs[variant];
  const ratio = (key) => (variant === 'direct' ? '1' : fmt(summary(rs.map((r, i) => r[key] / runs.direct[i][key])), 3));
  return [fmt(summary(rs.map((r) => r.totalMs / 1000)), 2), ratio('totalMs'), fmt(summary(rs.map((r) => r.transferMs / 1000)), 2), ratio('transferMs')];
}
