// What the outputs may ask of a replay's pacing: its speed, pause and resume, and the recorded time it has reached.

export interface ReplayClock {
  setSpeed(n: number): void;
  pause(): void;
  resume(): void;
  readonly speed: number;
  /** The recorded time the replay has reached, moving with the wall clock between events at the current speed;
   *  once the capture is over it stays at its last event (null before the first event). */
  now(): number | null;
  /** the capture has no more events: its clock stands still */
  readonly ended: boolean;
}
