// Parent side of proxy-child.mjs: start a proxy process, ask for its stats, stop it.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCliProxy } from './cli-proxy.mjs';
import { startHaproxy } from './haproxy.mjs';

const CHILD = 'bench/lib/proxy-child.mjs';
const ownRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The checkout a variant runs: this one, or with "@base" the one in BENCH_BASE (the "before" of a change). */
function rootOf(variant) {
  if (!variant.endsWith('@base')) return { name: variant, root: ownRoot };
  if (!process.env.BENCH_BASE) throw new Error(`${variant}: set BENCH_BASE to the checkout (built) to compare with`);
  return { name: variant.slice(0, -'@base'.length), root: path.resolve(process.env.BENCH_BASE) };
}

/** The paths "before" a change runs too, when BENCH_BASE names its checkout. */
export const withBase = (variants) => (process.env.BENCH_BASE ? [...variants, ...variants.filter((v) => v.startsWith('cli-') || ['pump', 'full'].includes(v)).map((v) => `${v}@base`)] : variants);

/** The path a replica takes to the master in a scenario: `direct` (null), `haproxy` (the reference proxy), the
 *  real command in an output mode (cli-json, cli-text, cli-tui: see cli-proxy.mjs) or a layer of proxy-child.mjs
 *  (pump, decode, capture, full, nocrc); "@base" runs it from BENCH_BASE. `tls`: the proxy's {ca, cert, key} for TLS
 *  on both legs (layers only). */
export function startPath(variant, upstreamPort, tls = null) {
  if (variant === 'direct') return null;
  if (variant === 'haproxy') return startHaproxy(upstreamPort);
  const { name, root } = rootOf(variant);
  if (name.startsWith('cli-')) return startCliProxy(upstreamPort, name.slice(4), { root });
  return startProxyProcess(upstreamPort, name, tls, root);
}

export async function startProxyProcess(upstreamPort, mode, tls = null, root = ownRoot) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-proxy-'));
  const args = [String(upstreamPort), mode, path.join(dir, 'bench.rspy'), ...(tls ? [JSON.stringify(tls)] : [])];
  const child = fork(path.join(root, CHILD), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies = [];
  let waiting = [];
  child.on('message', (m) => {
    const w = waiting.shift();
    if (w) w(m);
    else replies.push(m);
  });
  const next = () => new Promise((resolve, reject) => {
    if (replies.length) return resolve(replies.shift());
    const onExit = (code) => reject(new Error(`proxy process exited (${code})`));
    child.once('exit', onExit);
    waiting.push((m) => {
      child.off('exit', onExit);
      resolve(m);
    });
  });
  const { port } = await next();
  return {
    port,
    pid: child.pid,
    async stats() {
      child.send('stats');
      return (await next()).stats;
    },
    /** Forget the tap-time histogram (after a warm-up). */
    resetLatency() {
      child.send('reset-latency');
    },
    async stop() {
      child.send('stop');
      const { stats } = await next();
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
      return stats;
    },
  };
}
