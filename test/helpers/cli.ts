// The built CLI (`node dist/cli.js`) as a child process: its stdout lines, its stderr, its exit.
// `npm test` builds before running the tests; run `npx tsc -p .` first when running a file alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { JsonEvent } from './spy.js';
import { waitFor } from './redis.js';
import { repoRoot } from './repo-root.js';

export const cliPath = path.join(repoRoot, 'dist/cli.js');

export interface CliRun {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout parsed as `--json` lines (complete lines only). */
  events(): JsonEvent[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (if still running) and the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface CliOptions {
  cwd?: string;
  /** added to this process's environment */
  env?: Record<string, string>;
  /** a pipe the test writes (default: no stdin) */
  stdin?: 'pipe';
}

export function runCli(args: string[], opts: CliOptions = {}): CliRun {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: build first (npx tsc -p .)`);
  const env = { ...process.env, ...opts.env };
  const proc = spawn(process.execPath, [cliPath, ...args], { cwd: opts.cwd ?? repoRoot, env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    events: () =>
      out
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line) as JsonEvent),
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** Starts the proxy command on a free port (`--listen 127.0.0.1:0`) and resolves once it listens. */
export async function startCliProxy(upstreamPort: number, flags: string[], opts: CliOptions = {}): Promise<CliRun & { port: number }> {
  const run = runCli(['--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstreamPort}`, ...flags], opts);
  let port = 0;
  await waitFor(
    () => {
      if (run.proc.exitCode !== null) throw new Error(`repl-spy exited: ${run.stderr()}`);
      port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(run.stderr())?.[1] ?? 0);
      return port > 0;
    },
    10_000,
    'repl-spy to listen',
  ).catch(async (e: Error) => {
    await run.stop();
    throw new Error(`${e.message}\nstderr: ${run.stderr()}`);
  });
  return Object.assign(run, { port });
}

/** A plain TCP client through the proxy: what it received, and when the proxy closed it. */
export function tcpClient(port: number): { socket: net.Socket; received(): Buffer; closed: Promise<void> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {}); // a reset is a close here; the test looks at the events
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => Buffer.concat(chunks), closed };
}
