// Fault keys of the TUI: what a key asks for, the steps the cycling keys go through, and the control the
// live command hands in (the lab's fault controller, or the proxy's links). Replay has none.

export type FaultRequest =
  | { kind: 'cut' }
  | { kind: 'freeze'; ms: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'bandwidth'; bytesPerSec: number | null };

/** Faults on a link, by its id in the event stream. Each returns a short text of what it did, or throws. */
export interface TuiFaults {
  cut(link: number): string;
  freeze(link: number, ms: number): string;
  delay(link: number, ms: number): string;
  bandwidth(link: number, bytesPerSec: number | null): string;
}

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
export function runFault(faults: TuiFaults, link: number, f: FaultRequest): string {
  try {
    switch (f.kind) {
      case 'cut':
        return faults.cut(link);
      case 'freeze':
        return faults.freeze(link, f.ms);
      case 'delay':
        return faults.delay(link, f.ms);
      case 'bandwidth':
        return faults.bandwidth(link, f.bytesPerSec);
    }
  } catch (err) {
    return `${f.kind} on link #${link} failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
