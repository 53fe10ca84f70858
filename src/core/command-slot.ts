// The cluster hash slot of a command: the slot of its keys when they all share one (a cluster serves only such
// commands), `crossSlot` when they do not, nothing when it has no keys, is not known, or a key was cut short by
// the decoder (its slot cannot be told). Redis's rule: cluster.c getNodeByQuery.

import { findKeys, type KeySink } from './command-keys.js';
import { keySlot } from './key-slot.js';

/** slotOf's answers besides a slot 0..16383 */
export const NO_SLOT = -1;
export const CROSS_SLOT = -2;

/** One reused sink: the hot path makes nothing per command. */
class SlotSink implements KeySink {
  argv: readonly Buffer[] = [];
  argBytes: readonly number[] | undefined;
  slot = NO_SLOT;
  /** a key was cut short */
  cut = false;

  range(first: number, last: number, step: number): void {
    const { argv, argBytes } = this;
    for (let i = first; i <= last && this.slot !== CROSS_SLOT && !this.cut; i += step) {
      const key = argv[i]!;
      if (argBytes !== undefined && argBytes[i] !== key.length) {
        this.cut = true;
        return;
      }
      const s = keySlot(key);
      if (this.slot === NO_SLOT) this.slot = s;
      else if (s !== this.slot) this.slot = CROSS_SLOT;
    }
  }
}
const sink = new SlotSink();

/** The slot of the command (0..16383), CROSS_SLOT, or NO_SLOT. `argBytes`: the full sizes when an argument was
 *  cut (CommandEvent.argBytes): a cut key has no known slot, and then neither has the command. */
export function slotOf(argv: readonly Buffer[], argBytes?: readonly number[]): number {
  sink.argv = argv;
  sink.argBytes = argBytes;
  sink.slot = NO_SLOT;
  sink.cut = false;
  findKeys(argv, sink);
  sink.argv = []; // keeps no view of the chunk
  sink.argBytes = undefined;
  return sink.cut ? NO_SLOT : sink.slot;
}

/** Sets `slot` (or `crossSlot`) on a command, as CommandEvent carries them; leaves both out when it has none. */
export function setSlot(target: { slot?: number; crossSlot?: true }, argv: readonly Buffer[], argBytes?: readonly number[]): void {
  const slot = slotOf(argv, argBytes);
  if (slot >= 0) target.slot = slot;
  else if (slot === CROSS_SLOT) target.crossSlot = true;
}
