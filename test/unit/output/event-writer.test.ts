// The event writer never blocks and never loses a loss: lines beyond the pending bound are dropped, and one
// notice line says how many, at the place of the gap, as soon as the stream drains.
import { Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { createEventWriter } from '../../../src/output/event-writer.js';
import type { LineBuffer } from '../../../src/output/line-buffer.js';

/** A stream whose reader takes nothing until release() is called. */
function stalledStream() {
  const written: string[] = [];
  const held: (() => void)[] = [];
  const out = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      held.push(() => done());
    },
  });
  const release = async () => {
    while (held.length > 0) {
      held.shift()!();
      await turn();
    }
  };
  return { out, lines: () => written.join('').split('\n').filter(Boolean), release };
}

const event = (n: number) => ({ type: 'command', pos: 0, end: 0, n }) as unknown as ReplEvent;
const format = (e: ReplEvent, b: LineBuffer) => b.text(`event ${(e as unknown as { n: number }).n}`);

describe('event writer', () => {
  it('writes every line in order when the stream keeps up', async () => {
    const { out, lines, release } = stalledStream();
    const writer = createEventWriter(out, format, { maxPendingBytes: 1000 });
    for (let n = 1; n <= 5; n++) writer.write(event(n));
    await turn();
    await release();
    expect(lines()).toEqual(['event 1', 'event 2', 'event 3', 'event 4', 'event 5']);
  });

  it('drops lines beyond the bound and says how many where they were lost, once the stream drains', async () => {
    const { out, lines, release } = stalledStream();
    const writer = createEventWriter(out, format, { maxPendingBytes: 100 });
    let n = 0;
    // each turn flushes one batch; the stalled stream piles them up until more than 100 bytes wait
    while (out.writableLength <= 100) {
      writer.write(event(++n));
      await turn();
    }
    const shown = n;
    for (let i = 0; i < 7; i++) writer.write(event(++n));
    await turn();
    await release(); // drains: the notice goes out on its own, before any later line
    writer.write(event(++n));
    const flushed = writer.flush();
    await release();
    await flushed;
    const expected = Array.from({ length: shown }, (_, i) => `event ${i + 1}`);
    expected.push('repl-spy: 7 events not shown: the output was slower than the replication stream', `event ${n}`);
    expect(lines()).toEqual(expected);
    expect(writer.droppedTotal).toBe(7); // what --metrics counts as dropped events
  });

  it('says the loss at the final flush even when no event follows it', async () => {
    const { out, lines, release } = stalledStream();
    const writer = createEventWriter(out, format, { maxPendingBytes: 5 });
    writer.write(event(1));
    await turn(); // 8 bytes now wait: beyond the bound of 5
    writer.write(event(2));
    writer.write(event(3));
    writer.write(event(4));
    const flushed = writer.flush();
    await release();
    await flushed;
    expect(lines()).toEqual(['event 1', 'repl-spy: 3 events not shown: the output was slower than the replication stream']);
  });

  it('a stream that fails (EPIPE) is given up: onClosed once, no throw, flush resolves, later events are ignored', async () => {
    let writes = 0;
    const out = new Writable({
      write(_chunk, _encoding, done) {
        writes++;
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const closed: string[] = [];
    const writer = createEventWriter(out, format, { onClosed: (err) => closed.push((err as NodeJS.ErrnoException).code ?? '') });
    writer.write(event(1));
    await turn();
    await turn();
    for (let n = 2; n < 100; n++) writer.write(event(n));
    await writer.flush();
    await turn();
    expect(closed).toEqual(['EPIPE']);
    expect(writes).toBe(1);
  });
});
