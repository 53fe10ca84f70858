// Parent side of proxy-child.mjs: start a proxy process, ask for its stats, stop it.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHaproxy } from './haproxy.mjs';

const CHILD = new URL('./proxy-child.mjs', import.meta.url);

/** The path a replica takes to the master in a scenario: `direct` (null), `haproxy` (the reference proxy) or a
 *  repl-spy mode of proxy-child.mjs (pump, decode, capture, full, nocrc). `tls`: the proxy's {ca, cert, key} for
 *  TLS on both legs. */
export function startPath(variant, upstreamPort, tls = null) {
  if (variant === 'direct') return null;
  if (variant === 'haproxy') return startHaproxy(upstreamPort);
  return startProxyProcess(upstreamPort, variant, tls);
}

export async function startProxyProcess(upstreamPort, mode, tls = null) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-proxy-'));
  const args = [String(upstreamPort), mode, path.join(dir, 'bench.rspy'), ...(tls ? [JSON.stringify(tls)] : [])];
  const child = fork(CHILD, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
