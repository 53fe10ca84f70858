// Fault stages keep one contract: every byte passes, in order, uncopied; the end goes on after the last byte; a
// stage holding its high-water mark makes its writer wait; a stage whose fault is off and that holds nothing says
// it can be taken out.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Outlet } from '../../../src/proxy/pipe.js';
import { BandwidthStage, DelayStage, FreezeStage, SliceStage, STAGE_HIGH_WATER_BYTES, type Stage } from '../../../src/proxy/stage.js';

/** An outlet that records what reaches it; `full` makes it answer false until drain() is called. */
function sink(): Outlet & { pieces: Buffer[]; ended: boolean; full: boolean; drain(): void } {
  const s = {
    pieces: [] as Buffer[],
    ended: false,
    full: false,
    onDrain: () => {},
    write(chunk: Buffer) {
      if (s.ended) throw new Error('write after end');
      s.pieces.push(chunk);
      return !s.full;
    },
    end() {
      s.ended = true;
    },
    drain() {
      s.full = false;
      s.onDrain();
    },
  };
  return s;
}

function wired<S extends Stage>(stage: S): { stage: S; out: ReturnType<typeof sink>; idle: () => number } {
  const out = sink();
  stage.passTo(out);
  let idle = 0;
  stage.onIdle = () => idle++;
  return { stage, out, idle: () => idle };
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
};

describe('fault stages', () => {
  it('slice: pieces of 1..max bytes, each its own write, the same bytes in order; a seed repeats the cut', () => {
    const input = [randomBytes(1000), randomBytes(3), randomBytes(4096)];
    const cut = (seed: number): Buffer[] => {
      const { stage, out } = wired(new SliceStage());
      stage.setSlicing(16, seed);
      for (const c of input) expect(stage.write(c)).toBe(true);
      stage.end();
      expect(out.ended).toBe(true);
      expect(stage.heldBytes).toBe(0);
      return out.pieces;
    };
    const pieces = cut(7);
    expect(Buffer.concat(pieces)).toEqual(Buffer.concat(input));
    expect(pieces.every((p) => p.length >= 1 && p.length <= 16)).toBe(true);
    expect(new Set(pieces.map((p) => p.length)).size).toBeGreaterThan(8);
    // views of the chunks, never copies
    expect(pieces[0]!.buffer).toBe(input[0]!.buffer);
    expect(cut(7).map((p) => p.length)).toEqual(pieces.map((p) => p.length));
    expect(cut(8).map((p) => p.length)).not.toEqual(pieces.map((p) => p.length));
  });

  it('slice: a full destination stops the pieces until it drains; nothing is lost', () => {
    const { stage, out } = wired(new SliceStage());
    stage.setSlicing(10, 1);
    out.full = true;
    const input = randomBytes(500);
    stage.write(input);
    expect(out.pieces).toHaveLength(1); // the write that said "full" was taken, then the stage waits
    expect(stage.heldBytes).toBe(500 - out.pieces[0]!.length);
    stage.end();
    expect(out.ended).toBe(false); // the end waits behind the held bytes
    out.drain();
    expect(Buffer.concat(out.pieces)).toEqual(input);
    expect(out.ended).toBe(true);
  });

  it('freeze: holds everything, asks the writer to wait at the high-water mark, lets it all go in order when thawed', () => {
    const { stage, out, idle } = wired(new FreezeStage());
    stage.setFrozen(true);
    let drained = 0;
    stage.onDrain = () => drained++;
    const chunks = Array.from({ length: 16 }, () => randomBytes(STAGE_HIGH_WATER_BYTES / 8));
    const answers = chunks.map((c) => stage.write(c));
    expect(out.pieces).toEqual([]);
    expect(answers.indexOf(false)).toBe(7); // the 8th chunk reaches the mark; the writer is asked to wait
    stage.end();
    stage.setFrozen(false);
    expect(Buffer.concat(out.pieces).equals(Buffer.concat(chunks))).toBe(true);
    expect(out.ended).toBe(true);
    expect(drained).toBe(1);
    expect(idle()).toBeGreaterThan(0);
  });

  it('delay: each chunk passes no earlier than its delay after it came, in order', async () => {
    const { stage, out, idle } = wired(new DelayStage());
    stage.setDelay(40);
    const t0 = performance.now();
    const chunks = [randomBytes(10), randomBytes(20), randomBytes(30)];
    for (const c of chunks) stage.write(c);
    expect(out.pieces).toEqual([]);
    await until(() => out.pieces.length === 3);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(39);
    expect(out.pieces).toEqual(chunks);
    stage.setDelay(0);
    expect(idle()).toBeGreaterThan(0);
    stage.stop();
  });

  it('bandwidth: pieces of at most the bucket size, all bytes through, in order', async () => {
    const { stage, out } = wired(new BandwidthStage());
    const rate = 200_000;
    stage.setRate(rate);
    const input = randomBytes(40_000);
    stage.write(input);
    stage.end();
    await until(() => out.ended);
    expect(Buffer.concat(out.pieces)).toEqual(input);
    expect(out.pieces.every((p) => p.length <= rate / 20)).toBe(true);
  });
});
