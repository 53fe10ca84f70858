// The TUI of `repl-spy lab --cluster` in a real terminal (tmux): F opens the server faults of the selected link's
// shard in the status line, 1 sends CLUSTER FAILOVER to that shard's replica, and the FAILOVER panel tells the story
// of that same shard until its replica and old master stream again.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis } from '../helpers/redis.js';
import { builtCli, requireTmux, Tmux } from './tui-terminal.js';

const ready = requireRedis() && requireTmux();

/** Replica rows of the links view ("  #2   127.0.0.1:51234   :41001 streaming  full: ..."). */
const streaming = (screen: string): number => screen.split('\n').filter((l) => /^[┃┗ ] #\d+\+? +\S+ +:\d+ +streaming/.test(l)).length;

describe.skipIf(!ready)('TUI of repl-spy lab --cluster in a real terminal: the F menu', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-tui-cluster-'));
  let lab: Tmux;

  beforeAll(() => {
    lab = Tmux.start(
      `repl-spy-tui-cluster-${process.pid}`,
      [process.execPath, builtCli(), 'lab', '--cluster', '3', '--rate', '10', '--no-capture', '--log-file', path.join(dir, 'lab.log')],
      dir,
      150,
      40,
    );
  });

  afterAll(() => {
    lab?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('F shows the faults of the selected link\'s shard; 1 fails that shard over, told in the FAILOVER panel', async () => {
    await lab.waitScreen('three streaming replicas', (s) => streaming(s) === 3, 60_000);
    lab.type('?');
    expect(await lab.waitScreen('the help', (s) => s.includes('KEYS'))).toMatch(/F +server faults menu/);
    lab.keys('Escape');
    lab.type('F');
    const menu = await lab.waitScreen('the menu', (s) => /shard \d: 1 cluster-failover/.test(s));
    const shard = /shard (\d): 1 cluster-failover  2 …=force  3 …=takeover  4 kill-master  5 revive  6 reshard 100 slots to shard \d/.exec(menu)?.[1];
    expect(shard, menu).toBeDefined();
    lab.type('1');
    // the cluster may still be forming (the replicas stream before every node knows them): the fault says so
    for (let i = 0; i < 60 && /the cluster is still forming/.test(await lab.waitScreen('the answer', (s) => /still forming|sent to/.test(s))); i++) {
      await new Promise((r) => setTimeout(r, 500));
      lab.type('F');
      await lab.waitScreen('the menu', (s) => /shard \d: 1 cluster-failover/.test(s));
      lab.type('1');
    }
    const done = await lab.waitScreen('the failover told', (s) => /streaming: every replica streams from replica-\d-1 again/.test(s), 30_000);
    expect(done).toContain(`CLUSTER FAILOVER sent to replica-${shard}-1 (shard ${shard}, master master-${shard})`);
    expect(done).toMatch(new RegExp(`started: CLUSTER FAILOVER on replica-${shard}-1 .*it takes over shard ${shard} from master-${shard}`));
    expect(done).toMatch(new RegExp(`old-master-back: master-${shard}, the old master, back as a replica`));
    expect(done).toMatch(new RegExp(`streaming: every replica streams from replica-${shard}-1 again`));
  }, 120_000);
});
