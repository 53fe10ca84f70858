// Writes formatted events to a stream without ever blocking the caller: lines are batched and flushed on the
// next turn of the event loop. If the reader of the stream is slower than the events (a slow pipe, a paused
// terminal), lines are dropped beyond a bound and the loss is said in one line once the stream catches up.

import type { Writable } from 'node:stream';
import type { ReplEvent } from '../core/events.js';

const MAX_PENDING_BYTES = 32 * 1024 * 1024;

export interface EventWriter {
  write(e: ReplEvent): void;
  /** Flush what is batched; resolves when the stream has taken it. */
  flush(): Promise<void>;
}

export function createEventWriter(out: Writable, format: (e: ReplEvent) => string): EventWriter {
  let batch: string[] = [];
  let scheduled = false;
  let dropped = 0;

  const flushNow = (): void => {
    scheduled = false;
    if (dropped > 0 && out.writableLength === 0) {
      batch.push(`repl-spy: ${dropped} events not shown: the output was slower than the replication stream`);
      dropped = 0;
    }
    if (batch.length === 0) return;
    const text = batch.join('\n') + '\n';
    batch = [];
    out.write(text);
  };

  return {
    write(e) {
      if (out.writableLength > MAX_PENDING_BYTES) {
        dropped++;
        return;
      }
      batch.push(format(e));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushNow);
      }
    },
    flush() {
      flushNow();
      return new Promise((resolve) => (out.writableLength === 0 ? resolve() : out.once('drain', () => resolve())));
    },
  };
}
