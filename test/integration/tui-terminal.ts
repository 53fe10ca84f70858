// A real terminal for the TUI tests: one tmux session running one command, read as a user would see it
// (capture-pane) and driven by keys (send-keys).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cliPath } from '../helpers/cli.js';
import { isCI, waitFor } from '../helpers/redis.js';

/** The built CLI, as users run it (`npm test` builds first; run `npx tsc -p .` before running a file alone). */
export function builtCli(): string {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: build first (npx tsc -p .)`);
  return cliPath;
}

/** True when tmux runs; without it the tests are skipped loudly, and under CI they fail. */
export function requireTmux(): boolean {
  if (spawnSync('tmux', ['-V']).status === 0) return true;
  const why = 'tmux not found: install it (apt-get install tmux) to run the real-terminal TUI tests';
  if (isCI()) throw new Error(`${why}. CI is set, so this test fails instead of being skipped.`);
  console.warn(`\n!!!!! SKIPPING the TUI terminal test: ${why} !!!!!\n`);
  return false;
}

export class Tmux {
  constructor(readonly name: string) {}
  static start(name: string, command: string[], cwd: string, width: number, height: number): Tmux {
    const shell = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', String(width), '-y', String(height), '-c', cwd, `exec ${shell}`], {
      env: { ...process.env, LANG: 'C.UTF-8', TERM: 'xterm-256color' },
    });
    // Keep the pane after the program exits so its last screen and exit can be inspected.
    execFileSync('tmux', ['set-option', '-t', name, 'remain-on-exit', 'on']);
    return new Tmux(name);
  }
  screen(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
  }
  keys(...keys: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }
  resize(width: number, height: number): void {
    execFileSync('tmux', ['resize-window', '-t', this.name, '-x', String(width), '-y', String(height)]);
  }
  /** Literal text, not key names. */
  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }
  exited(): boolean {
    const out = spawnSync('tmux', ['display-message', '-p', '-t', this.name, '#{pane_dead}'], { encoding: 'utf8' });
    return out.status !== 0 || out.stdout.trim() === '1';
  }
  async waitScreen(what: string, test: (screen: string) => boolean, timeoutMs = 20_000): Promise<string> {
    let last = '';
    try {
      await waitFor(() => test((last = this.screen())), timeoutMs, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${last}`);
    }
    return last;
  }
  /** Ends the program (SIGTERM: a TUI outlives the SIGHUP of its terminal going away) and the session. */
  kill(): void {
    const pid = Number(spawnSync('tmux', ['list-panes', '-t', this.name, '-F', '#{pane_pid}'], { encoding: 'utf8' }).stdout.trim());
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // it has exited already
      }
    }
    this.hangUp();
  }
  /** The terminal goes away under the program (SIGHUP, then a dead tty); the program decides what to do. */
  hangUp(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name]);
  }
}
