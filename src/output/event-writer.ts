// Writes formatted events to a stream without ever blocking the caller: lines are batched and flushed on the
// next turn of the event loop. If the reader of the stream is slower than the events (a slow pipe, a paused
// terminal), lines are dropped beyond a bound and the loss is said in one line, at the place of the gap: before
// the next line written, when the stream drains, or at the final flush, whichever comes first.
// A stream that fails (EPIPE: `| head` exited, the reader was killed) is given up: nothing more is written,
// onClosed hears of it once, and the caller goes on (the proxy keeps forwarding).

import type { Writable } from 'node:stream';
import type { ReplEvent } from '../core/events.js';
import { LineBuffer } from './line-buffer.js';

const MAX_PENDING_BYTES = 32 * 1024 * 1024;

export interface EventWriter {
  write(e: ReplEvent): void;
  /** Flush what is batched; resolves when the stream has taken it. */
  flush(): Promise<void>;
  /** Events dropped so far because the stream was behind. */
  readonly droppedTotal: number;
}

export interface EventWriterOptions {
  maxPendingBytes?: number;
  /** Once, when the stream fails; the writer has stopped writing. */
  onClosed?: (err: Error) => void;
}

/** Writes one event's line, without its newline. */
export type LineFormat = (e: ReplEvent, b: LineBuffer) => void;

export function createEventWriter(out: Writable, format: LineFormat, opts: EventWriterOptions = {}): EventWriter {
  const maxPendingBytes = opts.maxPendingBytes ?? MAX_PENDING_BYTES;
  const batch = new LineBuffer();
  let closed = false;
  let scheduled = false;
  let dropped = 0; // since the last notice
  let droppedTotal = 0;
  // 'drain' only follows a write that returned false: the final flush waits on write callbacks instead
  let unfinishedWrites = 0;
  let finished: (() => void)[] = [];
  const writeDone = (): void => {
    if (--unfinishedWrites === 0) for (const resolve of finished.splice(0)) resolve();
  };
  out.on('error', (err) => {
    if (closed) return;
    closed = true;
    batch.take();
    opts.onClosed?.(err);
  });

  const noteDropped = (): void => {
    if (dropped === 0) return;
    batch.newLine();
    batch.ascii(`repl-spy: ${dropped} events not shown: the output was slower than the replication stream\n`);
    dropped = 0;
  };
  const flushNow = (): void => {
    scheduled = false;
    if (batch.length === 0 || closed) return;
    for (const chunk of batch.take()) {
      unfinishedWrites++;
      out.write(chunk, writeDone);
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flushNow);
  };
  out.on('drain', () => {
    if (dropped === 0 || closed) return;
    noteDropped();
    schedule();
  });

  return {
    write(e) {
      if (closed) return;
      if (out.writableLength + batch.length > maxPendingBytes) {
        dropped++;
        droppedTotal++;
        return;
      }
      noteDropped();
      batch.newLine();
      format(e, batch);
      batch.ascii('\n');
      schedule();
    },
    flush() {
      noteDropped();
      flushNow();
      return new Promise((resolve) => (unfinishedWrites === 0 ? resolve() : finished.push(resolve)));
    },
    get droppedTotal() {
      return droppedTotal;
    },
  };
}
