import type { ReplSink } from '../core/events.js';
import type { ReplayClock } from '../core/replay-clock.js';
import { detailScrollLimit, renderFrame } from './format/frame.js';
import { runFault, runServerFault, type TuiFaults, type TuiServerFaults } from './model/faults.js';
import { apply, createTuiState, type ReplicaNumbering } from './model/state.js';
import { createUi, handleKey, settleUi, type Key } from './model/ui.js';
import { openTerminal } from './screen/terminal.js';

// The live terminal UI: a pure view of the ReplEvent stream. Events only update the model (O(1)) and
// mark the screen dirty; a timer paints at most FPS frames per second, so a master writing at full
// speed never waits for the terminal. Live and replay look the same: only `label` and `replay` differ.

export interface TuiOptions {
  subscribe: (fn: ReplSink) => () => void;
  label: string;
  replay?: ReplayClock;
  /** fault control of a live command: the fault keys act on the selected replica's link */
  faults?: TuiFaults;
  /** the Sentinel and cluster labs: `F` opens a menu of their server faults */
  serverFaults?: TuiServerFaults;
  onQuit: () => void;
  /** The lab's numbers of its replicas (replica=N), shown as #N. */
  replicaNumber?: ReplicaNumbering;
  /** The time the event stream is at (live: the wall clock in the events' time base; replay: the recorded time it
   *  has reached). Lets waiting times grow between events; without it, time moves only with events. */
  clock?: () => number | null;
  /** The screen could not be painted (a bug, a dead terminal): the TUI has stopped itself. */
  onFailure?: (err: unknown) => void;
}

export type { ReplicaNumbering, TuiFaults, TuiServerFaults };

export const FPS = 10;
const MIN_SPEED = 1 / 16;
const MAX_SPEED = 1024;

/** Doubling or halving within [1/16, 1024]; from "as fast as possible" only slowing down changes anything. */
function nextSpeed(speed: number, factor: number): number {
  if (!Number.isFinite(speed)) return factor < 1 ? MAX_SPEED : speed;
  return Math.min(MAX_SPEED, Math.max(MIN_SPEED, speed * factor));
}

export function startTui(opts: TuiOptions): { stop(): void } {
  const state = createTuiState({}, opts.replicaNumber ?? null);
  const ui = createUi();
  const term = openTerminal(`repl-spy ${opts.label}`);
  const replay = opts.replay;
  const faults = opts.faults;
  let replayPaused = false;
  let dirty = true;
  let modelReported = false;
  let stopped = false;

  const unsubscribe = opts.subscribe((e) => {
    try {
      apply(state, e);
    } catch (err) {
      // A model bug must not disturb the event source; show it once instead.
      if (!modelReported) ui.message = `TUI model error on ${e.type}: ${err instanceof Error ? err.message : String(err)}`;
      modelReported = true;
    }
    dirty = true;
  });

  const paint = () => {
    try {
      paintFrame();
    } catch (err) {
      stop();
      opts.onFailure?.(err);
    }
  };
  const paintFrame = () => {
    dirty = false;
    const { width, height } = term.size();
    settleUi(ui, state, detailScrollLimit(state, ui, width, height)); // the update; the view only reads
    term.paint(
      renderFrame(state, ui, {
        width,
        height,
        label: opts.label,
        replay: replay ? { speed: replay.speed, paused: replayPaused, ended: replay.ended } : null,
        faults: faults !== undefined,
      }),
    );
  };

  let lastTick = 0;
  const timer = setInterval(() => {
    const t = opts.clock?.() ?? null;
    // A quiet stream still shows its clocks moving: repaint once a second for the passing time alone.
    if (t !== null && t > state.now && t - lastTick >= 1000) {
      state.now = t;
      lastTick = t;
      dirty = true;
    }
    if (dirty) paint();
  }, 1000 / FPS);

  term.onResize(paint);
  term.onKey((key: Key) => {
    const pageRows = Math.max(1, term.size().height - 6);
    for (const effect of handleKey(ui, key, state, { pageRows, replay: replay !== undefined, faults: faults !== undefined, serverFaults: opts.serverFaults })) {
      if (effect.kind === 'quit') {
        stop();
        opts.onQuit();
        return;
      }
      if (effect.kind === 'fault') {
        // The fault event itself comes back through the event stream; the status line says what was done.
        if (faults) ui.message = runFault(faults, effect.link, effect.fault);
        continue;
      }
      if (effect.kind === 'server-fault') {
        if (opts.serverFaults) ui.message = runServerFault(opts.serverFaults, effect.target, effect.choice);
        continue;
      }
      if (!replay) continue;
      if (effect.kind === 'speed') replay.setSpeed(nextSpeed(replay.speed, effect.factor));
      else if (effect.kind === 'pause') {
        replay.pause();
        replayPaused = true;
      } else {
        replay.resume();
        replayPaused = false;
      }
    }
    paint();
  });

  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    unsubscribe();
    try {
      term.destroy();
    } catch {
      // a terminal that is already gone cannot be restored
    }
  }

  paint();
  return { stop };
}
