// Where decoded events go: the TUI when stdout is a terminal, else one line per event, or JSON lines.
// An output can go away on its own (`| head` exited, the terminal closed, the TUI crashed): it is then stopped
// and onLost says why, once; what feeds it (the proxy) goes on.
import { createWriteStream, fstatSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { ReplSink } from '../core/events.js';
import { wireNow } from '../core/clock.js';
import { createEventWriter } from '../output/event-writer.js';
import { writeJsonLine } from '../output/json-output.js';
import { writeTextLine } from '../output/line-output.js';
import type { ReplayClock } from '../core/replay-clock.js';
import type { ReplicaNumbering, TuiFaults, TuiServerFaults } from '../tui/index.js';

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
  /** events not shown because the output was slower than the stream (the TUI shows the latest state: none) */
  droppedEvents(): number;
}

export async function attachOutput(
  mode: OutputMode,
  subscribe: (fn: ReplSink) => () => void,
  opts: {
    label: string;
    onQuit: () => void;
    replay?: ReplayClock;
    /** live commands: fault keys in the TUI */
    faults?: TuiFaults;
    /** the Sentinel and cluster labs: the TUI's `F` menu of server faults */
    serverFaults?: TuiServerFaults;
    filter?: (e: Parameters<ReplSink>[0]) => boolean;
    /** The output stopped by itself; with it, the TUI also outlives a hang-up (SIGHUP) of its terminal. */
    onLost?: (why: string) => void;
    /** the time the events are at, for the TUI (default: the wall clock live, the recorded time in replay) */
    clock?: () => number | null;
    /** the lab: its replica numbers, shown on the screen */
    replicaNumber?: ReplicaNumbering;
  },
): Promise<AttachedOutput> {
  const filter = opts.filter ?? (() => true);
  const replay = opts.replay;
  let lost = false;
  const lose = (why: string, stop: () => void): void => {
    if (lost) return;
    lost = true;
    stop();
    opts.onLost?.(why);
  };
  if (mode === 'tui') {
    const { startTui } = await import('../tui/index.js');
    const loseTui = (why: string): void => lose(why, () => tui.stop());
    const tty = (stream: string) => (err: NodeJS.ErrnoException) => loseTui(`the terminal failed (${stream}: ${err.code ?? err.message}): the TUI stopped`);
    process.stdout.on('error', tty('stdout'));
    process.stdin.on('error', tty('stdin'));
    const onHangup = (): void => loseTui('the terminal closed (SIGHUP): the TUI stopped');
    if (opts.onLost) process.once('SIGHUP', onHangup);
    const tui = startTui({
      subscribe: (fn) => subscribe((e) => filter(e) && fn(e)),
      label: opts.label,
      replay,
      faults: opts.faults,
      serverFaults: opts.serverFaults,
      onQuit: opts.onQuit,
      replicaNumber: opts.replicaNumber,
      // live: the proxy stamps events with wireNow(); replay: the recorded time the pacing has reached
      clock: opts.clock ?? (replay ? () => replay.now() : wireNow),
      onFailure: (err) => loseTui(`the TUI failed (${err instanceof Error ? err.message : String(err)}) and stopped`),
    });
    return {
      async stop() {
        process.off('SIGHUP', onHangup);
        tui.stop();
      },
      droppedEvents: () => 0,
    };
  }
  const writer = createEventWriter(eventStream(), mode === 'json' ? writeJsonLine : writeTextLine, {
    onClosed: (err) => lose(`the output closed (${(err as NodeJS.ErrnoException).code ?? err.message}): no more events are printed`, () => unsubscribe()),
  });
  const unsubscribe = subscribe((e) => {
    if (filter(e)) writer.write(e);
  });
  return {
    async stop() {
      unsubscribe();
      await writer.flush();
    },
    droppedEvents: () => writer.droppedTotal,
  };
}

/** Where the lines go: stdout, but written from the thread pool when it is a file (`--json > file`): Node writes
 *  to a file on stdout synchronously, which would stall the forwarding whenever the disk does. */
function eventStream(): Writable {
  let isFile = false;
  try {
    isFile = fstatSync(1).isFile();
  } catch {
    // no stdout to look at: the stream says what is wrong when it is written
  }
  return isFile ? createWriteStream('', { fd: 1, autoClose: false }) : process.stdout;
}
