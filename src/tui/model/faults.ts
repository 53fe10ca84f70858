// Fault keys of the TUI: what a key asks for, the steps the cycling keys go through, and the control the
// live command hands in (the lab's fault controller, or the proxy's links with --faults). Replay has none.
import type { LinkFault } from '../../core/fault-action.js';

/** Carries out a fault on a link, by its id in the event stream; returns a short text of what it did, or throws. */
export type TuiFaults = (link: number, fault: LinkFault) => string;

export const FREEZE_MS = 5000;
/** `d` cycles the added delay through these (0: off). */
export const DELAY_STEPS: readonly number[] = [0, 100, 500];
/** `b` cycles the master→replica bandwidth through these (null: no limit). */
export const BANDWIDTH_STEPS: readonly (number | null)[] = [null, 1 << 20, 100 * 1024];

/** The step after `current`; a value set elsewhere (a --fault flag, the control interface) goes back to off. */
export function nextStep<T>(steps: readonly T[], current: T): T {
  const at = steps.indexOf(current);
  return at < 0 ? steps[0] : steps[(at + 1) % steps.length];
}

/** Carries out a fault key; the text for the status line, never a throw. */
export function runFault(faults: TuiFaults, link: number, fault: LinkFault): string {
  try {
    return faults(link, fault);
  } catch (err) {
    return `${fault.kind} on link #${link} failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The link a server fault is aimed from: the TUI's selected replica (its master tells the cluster lab's shard). */
export interface ServerFaultTarget {
  link: number;
  /** "host:port" the link's proxy dials */
  masterAddr: string;
  announcedPort: string | null;
}

/** `F`'s menu of server faults (the Sentinel lab's failovers, the cluster lab's faults of the selected link's
 *  shard): what it offers for a target, and carrying out choice N (0-based). */
export interface TuiServerFaults {
  /** the menu's title and its choices; a string: why there is none for this target */
  menu(target: ServerFaultTarget | null): { title: string; choices: string[] } | string;
  run(target: ServerFaultTarget | null, choice: number): string;
}

/** Carries out a server fault chosen in the menu; the text for the status line, never a throw. */
export function runServerFault(faults: TuiServerFaults, target: ServerFaultTarget | null, choice: number): string {
  try {
    return faults.run(target, choice);
  } catch (err) {
    return `server fault failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
