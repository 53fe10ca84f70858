import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import type { LinkFault } from '../../../src/core/fault-action.js';
import { detailScrollLimit, renderFrame } from '../../../src/tui/format/frame.js';
import { runFault, type TuiFaults } from '../../../src/tui/model/faults.js';
import { apply, createTuiState, type TuiState } from '../../../src/tui/model/state.js';
import { createUi, handleKey, settleUi, type Key, type UiEffect, type UiState } from '../../../src/tui/model/ui.js';
import { cmd, handshake, REPLID, sharedBgsave, T0 } from './scenario.js';

/** Records every call, as the lab's or the proxy's fault control would receive it. */
function fakeFaults(fail?: string): TuiFaults & { calls: string[] } {
  const calls: string[] = [];
  const faults = (link: number, f: LinkFault): string => {
    if (fail) throw new Error(fail);
    const text = f.kind === 'cut' ? `cut ${link}` : f.kind === 'bandwidth' ? `bandwidth ${link} ${f.bytesPerSec}` : `${f.kind} ${link} ${'ms' in f ? f.ms : ''}`;
    calls.push(text);
    return `done: ${text}`;
  };
  return Object.assign(faults, { calls });
}

/** Keys in, as startTui handles them: the UI is settled and a frame painted first and after every key, fault
 *  effects go to the fault control, its answer to the status line. */
function press(ui: UiState, s: TuiState, keys: Key[], faults: TuiFaults | undefined): UiEffect[] {
  const effects: UiEffect[] = [];
  const paint = () => {
    settleUi(ui, s, detailScrollLimit(s, ui, 120, 40));
    renderFrame(s, ui, { width: 120, height: 40, label: 'x', replay: null, faults: faults !== undefined });
  };
  paint();
  for (const key of keys) {
    for (const effect of handleKey(ui, key, s, { pageRows: 10, replay: faults === undefined, faults: faults !== undefined })) {
      effects.push(effect);
      if (effect.kind === 'fault' && faults) ui.message = runFault(faults, effect.link, effect.fault);
    }
    paint();
  }
  return effects;
}

function feed(events: ReplEvent[]): TuiState {
  const s = createTuiState();
  for (const e of events) apply(s, e);
  return s;
}

const fault = (link: number, at: number, name: string, detail: Record<string, unknown>): ReplEvent => ({ type: 'fault', link, at, fault: name, detail });
const chars = (text: string): Key[] => [...text].map((c) => ({ char: c }));

describe('fault keys', () => {
  it('x asks first; y cuts the selected replica by its link id in the event stream', () => {
    // Links 7, 8, 9: ids as the lab's registry gives them, not 1..3.
    const s = feed(sharedBgsave().map((e) => renumber(e, 6)));
    const ui = createUi();
    const faults = fakeFaults();
    press(ui, s, ['down', { char: 'x' }], faults);
    expect(faults.calls).toEqual([]);
    expect(ui.message).toMatch(/^cut link #8 \(replica 127\.0\.0\.1:\d+\)\? y cuts/);
    const effects = press(ui, s, chars('y'), faults);
    expect(effects).toEqual([{ kind: 'fault', link: 8, fault: { kind: 'cut' } }]);
    expect(faults.calls).toEqual(['cut 8']);
    expect(ui.message).toBe('done: cut 8');
  });

  it('any other key cancels the cut, and does nothing else', () => {
    const s = feed(sharedBgsave());
    const ui = createUi();
    const faults = fakeFaults();
    expect(press(ui, s, [...chars('x'), { char: 'q' }], faults)).toEqual([]);
    expect(ui.message).toBe('cut cancelled');
    expect(faults.calls).toEqual([]);
  });

  it('f freezes 5 s; d and b cycle from the state the fault events report', () => {
    const s = feed(sharedBgsave());
    const ui = createUi();
    const faults = fakeFaults();
    press(ui, s, chars('fdb'), faults);
    expect(faults.calls).toEqual(['freeze 1 5000', 'delay 1 100', `bandwidth 1 ${1 << 20}`]);
    // The proxy reports what it applied; the next press moves on from there.
    apply(s, fault(1, T0 + 5000, 'delay', { ms: 100 }));
    apply(s, fault(1, T0 + 5000, 'bandwidth', { bytesPerSec: 1 << 20 }));
    press(ui, s, chars('db'), faults);
    apply(s, fault(1, T0 + 5001, 'delay', { ms: 500 }));
    apply(s, fault(1, T0 + 5001, 'bandwidth', { bytesPerSec: 100 * 1024 }));
    press(ui, s, chars('db'), faults);
    // A delay set elsewhere (a --fault flag) is turned off first.
    apply(s, fault(1, T0 + 5002, 'delay', { ms: 250 }));
    press(ui, s, chars('d'), faults);
    expect(faults.calls.slice(3)).toEqual(['delay 1 500', `bandwidth 1 ${100 * 1024}`, 'delay 1 0', 'bandwidth 1 null', 'delay 1 0']);
  });

  it('on the detail view the keys act on the replica shown', () => {
    const s = feed(sharedBgsave());
    const ui = createUi();
    const faults = fakeFaults();
    press(ui, s, ['down', 'down', 'enter', 'up', { char: 'f' }], faults);
    expect(ui.view).toBe('detail');
    expect(faults.calls).toEqual(['freeze 3 5000']);
  });

  it('replay has no faults: the keys say so and ask for nothing', () => {
    const s = feed(sharedBgsave());
    const ui = createUi();
    for (const c of 'xfdb') {
      expect(press(ui, s, chars(c), undefined)).toEqual([]);
      expect(ui.message).toBe('faults are only available live (repl-spy lab, or the proxy with --faults)');
    }
    expect(ui.confirmCut).toBeNull();
  });

  it('a closed link, the stream view, a failing control: a clear status line', () => {
    const s = feed([...sharedBgsave(), { type: 'link-close', link: 1, at: T0 + 9000, by: 'proxy', reason: 'cut: link=1,cut' }]);
    const ui = createUi();
    const faults = fakeFaults();
    press(ui, s, chars('x'), faults);
    expect(ui.message).toBe('link #1 is closed: faults act on open links');
    press(ui, s, ['tab', { char: 'f' }], faults);
    expect(ui.message).toMatch(/^fault keys act on a replica: Tab to the links view/);
    expect(faults.calls).toEqual([]);
    const broken = fakeFaults('link 2 is closed');
    press(ui, s, ['tab', 'down', { char: 'd' }], broken);
    expect(ui.message).toBe('delay on link #2 failed: link 2 is closed');
  });

  it('the footer lists the fault keys only where they work', () => {
    const s = feed(sharedBgsave());
    const footer = (faults: boolean, keys: Key[] = []) => {
      const ui = createUi();
      press(ui, s, keys, faults ? fakeFaults() : undefined);
      return renderFrame(s, ui, { width: 120, height: 30, label: 'x', replay: null, faults }).lines.at(-1)!;
    };
    expect(footer(true)).toContain('x/f/d/b fault');
    expect(footer(true, ['tab'])).not.toContain('x/f/d/b');
    expect(footer(false)).not.toContain('x/f/d/b');
  });
});

describe('faults in force and sync loops on screen', () => {
  function screen(s: TuiState, keys: Key[] = []): string {
    const ui = createUi();
    press(ui, s, keys, fakeFaults());
    return renderFrame(s, ui, { width: 120, height: 40, label: 'x', replay: null, faults: true }).lines.join('\n');
  }

  it('a frozen, delayed, throttled link is flagged on its row and in its detail', () => {
    const s = feed([
      ...sharedBgsave(),
      fault(2, T0 + 6000, 'delay', { ms: 500 }),
      fault(2, T0 + 6000, 'bandwidth', { bytesPerSec: 100 * 1024 }),
      fault(2, T0 + 6001, 'freeze', { ms: 5000 }),
    ]);
    expect(screen(s)).toMatch(/#2 .* streaming  FROZEN delay 500 ms bw 100 KB\/s  full/);
    expect(screen(s, ['down', 'enter'])).toContain('in force: FROZEN delay 500 ms bw 100 KB/s');
    apply(s, fault(2, T0 + 11001, 'freeze-end', { ms: 5000 }));
    expect(screen(s)).toMatch(/#2 .* streaming  delay 500 ms bw 100 KB\/s  full/);
    expect(screen(s, ['down', 'enter'])).toContain('last fault: freeze-end (ms 5000)');
  });

  it('a cut link says why it closed; the new link shows its partial resync and reason', () => {
    const s = feed([
      ...sharedBgsave(),
      fault(1, T0 + 6000, 'cut', { reason: 'link=1,cut' }),
      { type: 'link-close', link: 1, at: T0 + 6000, by: 'proxy', reason: 'cut: link=1,cut' },
      ...handshake(4, T0 + 7000, 6381),
      { type: 'continue', pos: 0, end: 0, link: 4, at: T0 + 7002, replid: REPLID, offset: 300, reason: 'partial resync within the backlog from offset 300', reasonCode: 'within-backlog' },
    ]);
    const text = screen(s);
    expect(text).toMatch(/#1 .* closed/);
    expect(text).toContain('closed by proxy: cut: link=1,cut');
    expect(text).toMatch(/#4 .* streaming  partial: within backlog *$/m); // the short form fits the row
    expect(text).toContain(' 3 replicas '); // four links, but the replica on #4 is the one of #1 back
  });

  it('a sync loop flags the row with its count and shows the pattern in the detail', () => {
    const pattern = '3 full syncs in 9.1s (first-sync, full-sync-requested ×2); earlier attempts: closed by master during the RDB transfer at ≥50% ×2';
    const s = feed([
      ...handshake(5, T0, 6381),
      { type: 'fullresync', pos: 0, end: 0, link: 5, at: T0 + 2, replid: REPLID, offset: 0, reason: 'full sync requested by the replica (PSYNC ? -1)', reasonCode: 'full-sync-requested' },
      { type: 'sync-loop', link: 5, at: T0 + 2, replica: '127.0.0.1:6381', count: 3, sinceAt: T0 - 9100, pattern },
      cmd(5, T0 + 3, 20, 0, 'PING'),
    ]);
    expect(screen(s)).toMatch(/#5 .* waiting    LOOP x3  full: requested by replica/);
    const detail = screen(s, ['enter']);
    expect(detail).toContain('reason full sync requested by the replica (PSYNC ? -1)');
    expect(detail).toMatch(/SYNC LOOP x3 since \d\d:\d\d:\d\d\.\d{3}: 3 full syncs in 9\.1s/);
    expect(detail).toContain('\n  master during the RDB transfer at ≥50% ×2'); // the rest of the pattern, wrapped
  });
});

function renumber(e: ReplEvent, by: number): ReplEvent {
  if (e.type === 'shared-snapshot') return { ...e, link: e.link + by, links: e.links.map((l) => l + by) };
  return { ...e, link: e.link + by };
}
