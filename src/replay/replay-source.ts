// Paces recorded WireEvents by their recorded times: speed 1 is real time, Infinity as fast as possible.
// Only the waiting uses the wall clock; every event keeps its recorded `at`, so the decoder's durations and
// rates are those of the capture whatever the speed.
import type { WireEvent } from '../core/events.js';
import type { ReplayClock } from '../core/replay-clock.js';

/** Longest single sleep, so a speed change or pause takes effect soon. */
const MAX_SLEEP_MS = 100;

export function pacedReplay(events: AsyncIterable<WireEvent>, initialSpeed: number): { events: AsyncGenerator<WireEvent>; clock: ReplayClock } {
  let speed = initialSpeed;
  let paused = false;
  // the recorded time that corresponds to `wallAnchor` on the wall clock
  let atAnchor: number | null = null;
  let wallAnchor = 0;
  const reanchor = (at: number | null) => {
    atAnchor = at;
    wallAnchor = performance.now();
  };
  let lastAt: number | null = null;
  let ended = false;

  async function* paced(): AsyncGenerator<WireEvent> {
    for await (const e of events) {
      for (;;) {
        if (paused) {
          await sleep(MAX_SLEEP_MS);
          continue;
        }
        if (!Number.isFinite(speed) || atAnchor === null) break;
        const due = wallAnchor + (e.at - atAnchor) / speed - performance.now();
        if (due <= 0) break;
        await sleep(Math.min(due, MAX_SLEEP_MS));
      }
      if (atAnchor === null) reanchor(e.at);
      lastAt = e.at;
      yield e;
    }
    ended = true;
  }

  const clock: ReplayClock = {
    setSpeed(n) {
      speed = n;
      if (lastAt !== null) reanchor(lastAt);
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      if (lastAt !== null) reanchor(lastAt);
    },
    get speed() {
      return speed;
    },
    get ended() {
      return ended;
    },
    now() {
      if (atAnchor === null || paused || ended || !Number.isFinite(speed)) return lastAt;
      return atAnchor + (performance.now() - wallAnchor) * speed;
    },
  };
  return { events: paced(), clock };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
