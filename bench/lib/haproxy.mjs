// haproxy in TCP mode as a reference proxy: what one proxy hop written in C costs on this machine, measured
// in the same run as repl-spy. Needs `haproxy` on PATH (Debian: apt-get install -y haproxy).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../dist/lab/redis-process.js';

export function requireHaproxy() {
  if (spawnSync('haproxy', ['-v']).error) {
    throw new Error('haproxy is not on PATH: it is the reference proxy of this scenario; install it (Debian: apt-get install -y haproxy)');
  }
}

/** Starts haproxy forwarding a free loopback port to `upstreamPort`; resolves once it accepts connections. */
export async function startHaproxy(upstreamPort) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-haproxy-'));
  const port = await freePort();
  const config = path.join(dir, 'haproxy.cfg');
  writeFileSync(config, [
    'global', '  maxconn 64',
    'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 1h', '  timeout server 1h',
    'listen replication', `  bind 127.0.0.1:${port}`, `  server master 127.0.0.1:${upstreamPort}`, '',
  ].join('\n'));
  const child = spawn('haproxy', ['-f', config, '-db'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}) before listening; config ${config}`);
    if (await accepts(port)) break;
    if (tries > 100) throw new Error('haproxy did not listen within 5 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid,
    async stop() {
      child.kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
