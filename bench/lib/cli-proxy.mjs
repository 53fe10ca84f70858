// The real repl-spy command as users run it, everything on (decoding, RDB analysis, capture), in one output mode:
//   json  repl-spy --json > file        text  repl-spy --no-tui > file        tui  repl-spy (the TUI) under tmux
// Its CPU and memory are read from /proc (the process's own utime + stime, VmRSS, VmHWM). `root` is the checkout
// whose dist/cli.js runs (another one gives the "before" of a change, side by side).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../dist/lab/redis-process.js';
import { sleep } from './redis.mjs';

export const CLI_MODES = ['json', 'text', 'tui'];
const ownRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

export function requireTmux() {
  if (spawnSync('tmux', ['-V']).status !== 0) throw new Error('tmux is not on PATH: the TUI runs under it (Debian: apt-get install -y tmux)');
}

/** CPU ms (user + system, all threads), RSS and peak RSS of a live process. */
export function processUsage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { cpuMs: ((Number(f[11]) + Number(f[12])) / CLK_TCK) * 1000, rss: kb('VmRSS'), maxRss: kb('VmHWM') };
}

/** `nodeArgs`: flags for node itself (e.g. --cpu-prof), before the script. */
export async function startCliProxy(upstreamPort, mode, { root = ownRoot, extraArgs = [], nodeArgs = [] } = {}) {
  if (!CLI_MODES.includes(mode)) throw new Error(`mode must be one of ${CLI_MODES.join(', ')}`);
  const cli = path.join(root, 'dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build that checkout first`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-cli-'));
  const port = await freePort();
  const logFile = path.join(dir, 'repl-spy.log');
  const outFile = path.join(dir, 'events.out');
  const args = [...nodeArgs, cli, '--listen', `127.0.0.1:${port}`, '--upstream', `127.0.0.1:${upstreamPort}`, '--capture', path.join(dir, 'bench.rspy'), '--log-file', logFile, ...extraArgs];
  let pid;
  let exited;
  const session = `repl-spy-bench-${process.pid}-${port}`;
  if (mode === 'tui') {
    requireTmux();
    const shell = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', `exec ${shell}`], { env: { ...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8' } });
    pid = Number(execFileSync('tmux', ['list-panes', '-t', session, '-F', '#{pane_pid}'], { encoding: 'utf8' }).trim());
    exited = async () => {
      while (existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')) await sleep(20);
    };
  } else {
    const out = openSync(outFile, 'w');
    const child = spawn(process.execPath, [...args, mode === 'json' ? '--json' : '--no-tui'], { stdio: ['ignore', out, 'pipe'] });
    closeSync(out);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    pid = child.pid;
    const done = new Promise((r) => child.once('exit', r));
    exited = () => done;
    child.once('exit', (code) => code && code !== 0 && process.stderr.write(`repl-spy (${mode}) exited ${code}: ${stderr.slice(-1000)}\n`));
  }
  for (let i = 0; !(existsSync(logFile) && readFileSync(logFile, 'utf8').includes('repl-spy listening')); i++) {
    if (i > 500) throw new Error(`repl-spy (${mode}) did not listen within 10 s`);
    await sleep(20);
  }
  let last = processUsage(pid);
  return {
    port,
    pid,
    async stats() {
      last = processUsage(pid);
      return last;
    },
    /** SIGTERM, the exit; then what the run left: usage before the exit, events printed, gaps of the observers. */
    async stop() {
      last = processUsage(pid);
      process.kill(pid, 'SIGTERM'); // the TUI too: it outlives its terminal's SIGHUP
      await exited();
      if (mode === 'tui') spawnSync('tmux', ['kill-session', '-t', session]);
      const result = { ...last, ...outputFacts(mode, outFile, logFile) };
      rmSync(dir, { recursive: true, force: true });
      return result;
    },
  };
}

/** Lines printed, and what the observers lost (gap events of the tap's overflow in the output, capture losses). */
function outputFacts(mode, outFile, logFile) {
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const captureLosses = (log.match(/capture loss started/g) ?? []).length;
  if (mode === 'tui') return { lines: null, tapGaps: null, tapGapBytes: null, captureLosses };
  const text = readFileSync(outFile, 'utf8');
  let lines = 0;
  let tapGaps = 0;
  let tapGapBytes = 0;
  const types = {}; // --json: events per type
  for (let at = text.indexOf('\n'), from = 0; at >= 0; from = at + 1, at = text.indexOf('\n', from)) {
    lines++;
    const line = text.slice(from, at);
    const type = mode === 'json' ? /^\{"type":"([^"]+)"/.exec(line)?.[1] : undefined;
    if (type) types[type] = (types[type] ?? 0) + 1;
    if (!line.includes('tap-overflow')) continue;
    tapGaps++;
    tapGapBytes += Number((mode === 'json' ? /"bytes":(\d+)/ : / (\d+) bytes missing/).exec(line)?.[1] ?? 0);
  }
  return { lines, types, tapGaps, tapGapBytes, captureLosses };
}
