// Pacing of a replay: events keep their recorded times whatever the speed; the clock the TUI reads moves with
// the wall clock between events at the replay's speed, and stands still when paused or at full speed.
import { describe, expect, it } from 'vitest';
import type { WireEvent } from '../../../src/core/events.js';
import { pacedReplay } from '../../../src/replay/replay-source.js';

async function* recorded(ats: number[]): AsyncGenerator<WireEvent> {
  for (const at of ats) yield { kind: 'fault', link: 1, at, fault: 'mark', detail: {} };
}

describe('pacedReplay', () => {
  it('yields every event with its recorded time, paced at the speed asked', async () => {
    const { events, clock } = pacedReplay(recorded([1000, 1040, 1080]), 2);
    const seen: number[] = [];
    const started = performance.now();
    for await (const e of events) seen.push(e.at);
    expect(seen).toEqual([1000, 1040, 1080]);
    // 80 ms of recording at speed 2 cannot take less than 40 ms of wall time
    expect(performance.now() - started).toBeGreaterThanOrEqual(39);
    expect(clock.now()).toBeGreaterThanOrEqual(1080);
  });

  it('its clock is null before the first event, moves between events, and stops when paused or at full speed', async () => {
    const { events, clock } = pacedReplay(recorded([5000, 5200]), 1);
    expect(clock.now()).toBeNull();
    const it = events[Symbol.asyncIterator]();
    await it.next();
    await new Promise((r) => setTimeout(r, 30));
    const moving = clock.now()!;
    expect(moving).toBeGreaterThan(5000);
    clock.pause();
    expect(clock.now()).toBe(5000);
    clock.resume();
    clock.setSpeed(Infinity);
    expect(clock.now()).toBe(5000);
    await it.next();
    expect(clock.now()).toBe(5200);
  });

  it('its clock stops at the end of the capture and says so', async () => {
    const { events, clock } = pacedReplay(recorded([7000, 7010]), 1);
    for await (const _e of events) expect(clock.ended).toBe(false);
    expect(clock.ended).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(clock.now()).toBe(7010);
  });
});
