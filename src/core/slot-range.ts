// A slot or a range of cluster hash slots as an operator types it: `N` or `A-B` (both included), 0..16383.
import { CLUSTER_SLOTS } from './key-slot.js';

export interface SlotRange {
  from: number;
  to: number;
}

/** The range `text` names, or what is wrong with it. */
export function parseSlotRange(text: string): SlotRange | { error: string } {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || from >= CLUSTER_SLOTS || to >= CLUSTER_SLOTS) return { error: `a slot is N or A-B with 0 <= N < ${CLUSTER_SLOTS}, got "${text}"` };
  if (from > to) return { error: `a slot range goes up: ${to}-${from}, not "${text}"` };
  return { from, to };
}

/** A command's slot (absent: no keys, unknown, cut) is in the range. */
export function inSlotRange(slot: number | undefined, range: SlotRange): boolean {
  return slot !== undefined && slot >= range.from && slot <= range.to;
}
