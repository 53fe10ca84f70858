// Where decoded events go: the TUI when stdout is a terminal, else one line per event, or JSON lines.
import type { ReplSink } from '../core/events.js';
import { wireNow } from '../proxy/clock.js';
import { createEventWriter } from '../output/event-writer.js';
import { jsonLine } from '../output/json-output.js';
import { textLine } from '../output/line-output.js';
import type { ReplayControls, TuiFaults } from '../tui/index.js';

export interface OutputFlags {
  json?: boolean;
  tui?: boolean;
}

export type OutputMode = 'tui' | 'json' | 'text';

export function outputModeOf(flags: OutputFlags): OutputMode {
  if (flags.json) return 'json';
  if (flags.tui === false || !process.stdout.isTTY) return 'text';
  return 'tui';
}

export interface AttachedOutput {
  stop(): Promise<void>;
}

export async function attachOutput(
  mode: OutputMode,
  subscribe: (fn: ReplSink) => () => void,
  opts: {
    label: string;
    onQuit: () => void;
    replay?: ReplayControls;
    /** live commands: fault keys in the TUI */
    faults?: TuiFaults;
    filter?: (e: Parameters<ReplSink>[0]) => boolean;
  },
): Promise<AttachedOutput> {
  const filter = opts.filter ?? (() => true);
  const replay = opts.replay;
  if (mode === 'tui') {
    const { startTui } = await import('../tui/index.js');
    const tui = startTui({
      subscribe: (fn) => subscribe((e) => filter(e) && fn(e)),
      label: opts.label,
      replay,
      faults: opts.faults,
      onQuit: opts.onQuit,
      // live: the proxy stamps events with wireNow(); replay: the recorded time the pacing has reached
      clock: replay ? () => replay.now() : wireNow,
    });
    return {
      async stop() {
        tui.stop();
      },
    };
  }
  const writer = createEventWriter(process.stdout, mode === 'json' ? jsonLine : textLine);
  const unsubscribe = subscribe((e) => {
    if (filter(e)) writer.write(e);
  });
  return {
    async stop() {
      unsubscribe();
      await writer.flush();
    },
  };
}
