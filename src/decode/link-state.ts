// Facts one link's two directions share: the master's offset as forwarded to this replica, when each stream byte
// was sent and what the replica acknowledged (its lag in bytes and milliseconds), and when it asked for a sync.

export interface SentMark {
  /** replication offset of the first byte of a chunk */
  firstOffset: number;
  at: number;
}

export interface Lag {
  /** master offset forwarded to the replica */
  offset: number;
  ackOffset: number;
  lagBytes: number;
  lagMs: number;
}

/** At most one mark per millisecond, so a replica that stops acknowledging costs ~60k marks per minute at most. */
const MAX_SENT_MARKS = 600_000;

export class LinkState {
  /** Offset just after the last complete command forwarded to the replica (null until known). */
  masterOffset: number | null = null;
  /** When the replica sent PSYNC/SYNC; null once the master answered with a payload or stream. */
  syncAskedAt: number | null = null;
  /** Offset the replica asked for in PSYNC (-1 for `PSYNC ? -1`). */
  psyncOffset: number | null = null;
  /** Newline keepalives from the master since the sync was asked. */
  masterKeepalives = 0;
  /** End of the last RDB transfer, until the replica's first ACK after it. */
  rdbEndAt: number | null = null;
  /** The last offset the replica acknowledged, and when (null until its first ACK). */
  ackOffset: number | null = null;
  ackAt: number | null = null;
  private marks: SentMark[] = [];
  private head = 0; // marks before head are acknowledged

  /** Note that stream bytes starting at `firstOffset` were forwarded at `at`. */
  markSent(firstOffset: number, at: number): void {
    const last = this.marks.length > this.head ? this.marks[this.marks.length - 1] : undefined;
    if (last && at - last.at < 1) return; // same millisecond: the earlier mark already covers these bytes
    if (this.marks.length - this.head >= MAX_SENT_MARKS) this.compact(true);
    this.marks.push({ firstOffset, at });
  }

  /** The replica acknowledged `ackOffset` at `at`: the marks of acknowledged bytes are dropped. */
  acked(ackOffset: number, at: number): void {
    this.ackOffset = ackOffset;
    this.ackAt = at;
    if (this.masterOffset === null || ackOffset >= this.masterOffset) {
      this.head = this.marks.length;
      this.compact(false);
      return;
    }
    const firstUnacked = ackOffset + 1;
    while (this.head + 1 < this.marks.length && this.marks[this.head + 1].firstOffset <= firstUnacked) this.head++;
    this.compact(false);
  }

  /** The lag at `at` (null before the replica's first ACK): the master offset forwarded minus the acknowledged
   *  one, and the age of the oldest byte not yet acknowledged. */
  lagAt(at: number): Lag | null {
    if (this.ackOffset === null) return null;
    const offset = this.masterOffset ?? this.ackOffset;
    const lagBytes = Math.max(0, offset - this.ackOffset);
    const mark = lagBytes > 0 ? this.marks[this.head] : undefined;
    return { offset, ackOffset: this.ackOffset, lagBytes, lagMs: mark ? Math.max(0, at - mark.at) : 0 };
  }

  private compact(force: boolean): void {
    if (this.head > 4096 || force || this.head === this.marks.length) {
      // Drop acknowledged marks; under force also thin out the oldest half so memory stays bounded.
      this.marks = this.marks.slice(this.head);
      this.head = 0;
      if (force) this.marks = this.marks.filter((_, i) => i % 2 === 0 || i >= this.marks.length / 2);
    }
  }
}
