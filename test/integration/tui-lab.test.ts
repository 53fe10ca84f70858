// The TUI of `repl-spy lab` in a real terminal (tmux): the fault keys act on the selected replica's link through
// the lab's fault control. A cut (x, then y) closes that link, and its replica comes back with a partial resync
// (+CONTINUE) that the TUI explains; the other replica is left alone.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, waitFor } from '../helpers/redis.js';
import { builtCli, requireTmux, Tmux } from './tui-terminal.js';

const WIDTH = 140;
const HEIGHT = 30;

const ready = requireRedis() && requireTmux();

interface Row {
  replica: number;
  port: string;
  state: string;
  rest: string;
}

/** First lines of the replica rows on the links view: "#2   127.0.0.1:51234   :41001 streaming  partial: ...". In the
 *  lab, #N is the replica's number (replica=N), whatever link it is on. */
function rows(screen: string): Row[] {
  const out: Row[] = [];
  for (const line of screen.split('\n')) {
    const m = /^[┃┗ ] #(\d+)\+? +\S+ +(:\d+|-) +(\S+) +(.*)$/.exec(line);
    if (m) out.push({ replica: Number(m[1]), port: m[2]!, state: m[3]!, rest: m[4]!.trimEnd() });
  }
  return out;
}

describe.skipIf(!ready)('TUI of repl-spy lab in a real terminal: fault keys', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-tui-lab-'));
  let lab: Tmux;

  beforeAll(async () => {
    const cli = builtCli();
    lab = Tmux.start(
      `repl-spy-tui-lab-${process.pid}`,
      [process.execPath, cli, 'lab', '--replicas', '2', '--keys', '500', '--rate', '20', '--no-capture', '--log-file', path.join(dir, 'lab.log')],
      dir,
      WIDTH,
      HEIGHT,
    );
  });

  afterAll(() => {
    lab?.kill(); // SIGHUP: the lab stops its servers
    rmSync(dir, { recursive: true, force: true });
  });

  it('x then y cuts the selected replica; it comes back with +CONTINUE, explained', async () => {
    const before = rows(
      await lab.waitScreen('two streaming replicas', (s) => rows(s).filter((r) => r.state === 'streaming').length === 2, 40_000),
    );
    expect(lab.screen()).toContain('x/f/d/b fault');

    lab.type('j'); // the second replica: the key must reach its link, not the first one
    lab.type('x');
    const asked = await lab.waitScreen('the cut confirmation', (s) => /cut link #\d+ .*\? y cuts/.test(s));
    const chosen = Number(/cut link #(\d+)/.exec(asked)![1]);
    const { replica, port } = before[1]!;

    lab.type('y');
    const cut = await lab.waitScreen('the cut applied and the replica back', (s) => {
      const now = rows(s).filter((r) => r.replica === replica);
      return now.some((r) => r.state === 'closed') && now.some((r) => r.state === 'streaming');
    });
    expect(cut).toContain(`link=${chosen},cut: applied to link ${chosen}`); // the status line
    expect(cut).toContain(`closed by proxy: cut: link=${chosen},cut`);
    const back = rows(cut).find((r) => r.replica === replica && r.state === 'streaming')!;
    expect(back).toMatchObject({ port, rest: expect.stringMatching(/^partial: within backlog$/) });
    // The other replica kept its link.
    expect(rows(cut).find((r) => r.replica === before[0]!.replica)!.state).toBe('streaming');

    // The selection followed the replica to its new link: Enter shows the partial resync and its reason there.
    lab.keys('Enter');
    const resumed = await lab.waitScreen('the detail of the new link', (s) => /\[detail #\d+\]/.test(s) && s.includes('+CONTINUE'));
    const newLink = Number(/\[detail #(\d+)\]/.exec(resumed)![1]);
    expect(newLink).not.toBe(chosen);
    expect(resumed).toContain(`#${replica} replica `);
    expect(resumed).toContain(` on link #${newLink} → master`);
    expect(resumed).toMatch(/reason partial resync within the backlog from offset \d+/);
    expect(resumed).toContain('← master  +CONTINUE');
    lab.keys('Escape');
    lab.type('k'); // up to the closed row of the cut link: the fault event itself
    lab.keys('Enter');
    // a screen read mid-paint can have the header without the rest: wait for the handshake's answer too
    const detail = await lab.waitScreen('the detail of the cut link with its +FULLRESYNC', (s) => s.includes(`[detail #${chosen}]`) && s.includes('← master  +FULLRESYNC'));
    expect(detail).toContain(`last fault: cut (reason link=${chosen},cut)`);
    expect(detail).toContain('← master  +FULLRESYNC');

    lab.type('q');
    await waitFor(() => lab.exited(), 15_000, 'the lab to stop on q');
  });
});
