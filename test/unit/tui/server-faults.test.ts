// The TUI's `F` key: a menu of server faults in the status line, a digit picks one, any other key cancels; the
// cluster lab's menu acts on the selected link's shard (the node the link replicates from).
import { describe, expect, it } from 'vitest';
import { clusterServerFaults, sentinelServerFaults } from '../../../src/cli/lab-tui-faults.js';
import type { FaultSpec } from '../../../src/lab/fault-spec.js';
import { detailScrollLimit, renderFrame } from '../../../src/tui/format/frame.js';
import { runServerFault, type TuiServerFaults } from '../../../src/tui/model/faults.js';
import { apply, createTuiState, type TuiState } from '../../../src/tui/model/state.js';
import { createUi, handleKey, settleUi, type Key, type UiEffect, type UiState } from '../../../src/tui/model/ui.js';
import { sharedBgsave } from './scenario.js';

/** Keys in, as startTui handles them: server-fault effects go to the menu's run, its answer to the status line. */
function press(ui: UiState, s: TuiState, keys: Key[], serverFaults: TuiServerFaults | undefined): UiEffect[] {
  const effects: UiEffect[] = [];
  const paint = (): void => {
    settleUi(ui, s, detailScrollLimit(s, ui, 120, 40));
    renderFrame(s, ui, { width: 120, height: 40, label: 'x', replay: null, faults: true });
  };
  paint();
  for (const key of keys) {
    for (const effect of handleKey(ui, key, s, { pageRows: 10, replay: false, faults: true, serverFaults })) {
      effects.push(effect);
      if (effect.kind === 'server-fault' && serverFaults) ui.message = runServerFault(serverFaults, effect.target, effect.choice);
    }
    paint();
  }
  return effects;
}

function feed(): TuiState {
  const s = createTuiState();
  for (const e of sharedBgsave()) apply(s, e);
  return s;
}

/** The specs a menu's choices are carried out as. */
function recorder(fail?: string): { specs: string[]; apply: (spec: FaultSpec) => string } {
  const specs: string[] = [];
  return {
    specs,
    apply: (spec) => {
      if (fail) throw new Error(fail);
      specs.push(spec.text);
      return `done: ${spec.text}`;
    },
  };
}

describe('F: the server fault menu', () => {
  it('the Sentinel lab: F shows the failovers, 2 carries out failover=sentinel', () => {
    const s = feed();
    const ui = createUi();
    const rec = recorder();
    press(ui, s, [{ char: 'F' }], sentinelServerFaults(rec.apply));
    expect(ui.message).toBe('server faults: 1 failover=kill  2 failover=sentinel  3 failover=stop  4 revive  (other keys cancel)');
    const effects = press(ui, s, [{ char: '2' }], sentinelServerFaults(rec.apply));
    expect(effects).toEqual([{ kind: 'server-fault', target: expect.objectContaining({ link: 1 }), choice: 1 }]);
    expect(rec.specs).toEqual(['failover=sentinel']);
    expect(ui.message).toBe('done: failover=sentinel');
  });

  it('any other key, or a digit past the menu, cancels and carries out nothing', () => {
    const s = feed();
    const ui = createUi();
    const rec = recorder();
    const menu = sentinelServerFaults(rec.apply);
    expect(press(ui, s, [{ char: 'F' }, { char: 'x' }], menu)).toEqual([]);
    expect(ui.message).toBe('server fault cancelled');
    expect(ui.confirmCut).toBeNull(); // the x was the menu's answer, not the cut key
    expect(press(ui, s, [{ char: 'F' }, { char: '9' }], menu)).toEqual([]);
    expect(rec.specs).toEqual([]);
  });

  it('a lab without server faults says where they are', () => {
    const ui = createUi();
    press(ui, feed(), [{ char: 'F' }], undefined);
    expect(ui.message).toMatch(/--sentinels 3.*--cluster 3/);
  });

  it('a failure is told in the status line, never thrown', () => {
    const s = feed();
    const ui = createUi();
    press(ui, s, [{ char: 'F' }, { char: '1' }], sentinelServerFaults(recorder('the Sentinels are not ready').apply));
    expect(ui.message).toBe('server fault failed: the Sentinels are not ready');
  });

  it('the cluster lab: the menu is for the shard of the selected link\'s master, its choices shard=N specs', () => {
    const s = feed(); // every link replicates from 127.0.0.1:6379
    const ui = createUi();
    const rec = recorder();
    const menu = clusterServerFaults(rec.apply, 3, (addr) => (addr === '127.0.0.1:6379' ? 3 : null));
    press(ui, s, [{ char: 'F' }], menu);
    expect(ui.message).toBe('shard 3: 1 cluster-failover  2 …=force  3 …=takeover  4 kill-master  5 revive  6 reshard 100 slots to shard 1  (other keys cancel)');
    press(ui, s, [{ char: '4' }], menu);
    press(ui, s, [{ char: 'F' }, { char: '6' }], menu);
    press(ui, s, [{ char: 'F' }, { char: '2' }], menu);
    expect(rec.specs).toEqual(['shard=3,kill-master', 'shard=3,reshard=1,slots=100', 'shard=3,cluster-failover=force']);
  });

  it('the cluster lab: a link whose master is not a node of the cluster gets no menu', () => {
    const ui = createUi();
    const rec = recorder();
    press(ui, feed(), [{ char: 'F' }, { char: '1' }], clusterServerFaults(rec.apply, 3, () => null));
    expect(ui.serverMenu).toBeNull(); // no menu opened: the 1 picks nothing
    expect(rec.specs).toEqual([]);
    press(ui, feed(), [{ char: 'F' }], clusterServerFaults(rec.apply, 3, () => null));
    expect(ui.message).toBe('127.0.0.1:6379 is not a node of the cluster');
  });
});
