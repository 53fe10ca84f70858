// The lab's servers must not outlive repl-spy, even when it is killed with SIGKILL and no handler runs. A small
// detached guard process holds a pipe from repl-spy: the kernel closes it whenever repl-spy ends, however it
// ends. On that (or when the parent pid is gone) the guard stops the servers it was told about and removes the
// lab's directory. On a clean shutdown repl-spy does that itself and dismisses the guard.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';

/** The guard's program (run with `node -e`, so it needs no file of its own). Messages on stdin: "+pid", "-pid",
 *  "done". argv: parent pid, lab directory. */
const GUARD_PROGRAM = String.raw`
const fs = require('node:fs');
const parent = Number(process.argv[1]);
const dir = process.argv[2];
const pids = new Set();
let buffered = '';
let finished = false;
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const cleanUp = () => {
  if (finished) return;
  finished = true;
  for (const pid of pids) { try { process.kill(pid, 'SIGTERM'); } catch {} }
  const deadline = Date.now() + 4000;
  const wait = () => {
    const left = [...pids].filter(alive);
    if (left.length > 0 && Date.now() < deadline) return setTimeout(wait, 50);
    for (const pid of left) { try { process.kill(pid, 'SIGKILL'); } catch {} }
    setTimeout(() => { fs.rmSync(dir, { recursive: true, force: true }); process.exit(0); }, left.length ? 200 : 0);
  };
  wait();
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  buffered += text;
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (line === 'done') { finished = true; process.exit(0); }
    if (line[0] === '+') pids.add(Number(line.slice(1)));
    if (line[0] === '-') pids.delete(Number(line.slice(1)));
  }
});
process.stdin.on('end', cleanUp);
process.stdin.on('error', cleanUp);
setInterval(() => { if (!alive(parent)) cleanUp(); }, 500);
`;

export interface Guard {
  readonly pid: number;
  watch(pid: number): void;
  release(pid: number): void;
  /** The servers are stopped and the directory removed: the guard may go. */
  dismiss(): void;
}

export function startGuard(labDir: string): Guard {
  const child: ChildProcess = spawn(process.execPath, ['-e', GUARD_PROGRAM, String(process.pid), labDir], {
    detached: true, // its own process group: a Ctrl-C or a group kill aimed at repl-spy does not reach it
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const stdin = child.stdin as Writable;
  stdin.on('error', () => {}); // the guard may already be gone at shutdown
  child.unref();
  const send = (line: string): void => {
    if (!stdin.destroyed) stdin.write(`${line}\n`);
  };
  return {
    pid: child.pid ?? -1,
    watch: (pid) => send(`+${pid}`),
    release: (pid) => send(`-${pid}`),
    dismiss() {
      send('done');
      stdin.end();
    },
  };
}
