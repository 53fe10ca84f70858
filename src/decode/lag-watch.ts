// A replica's lag between its ACKs. It acknowledges once a second, so the lag an ACK reports is stale a moment
// later, and a replica that stops (SIGSTOP, a stalled disk, a hung network) reports nothing at all. On each clock
// tick: a `lag` event when the lag changed since it was last reported (at most once a second), and `ack-silence`
// when no ACK came for too long; `ack-resumed` with the next ACK. Pure: ticks and ACKs in, events out.

import type { AckEvent, ReplSink } from '../core/events.js';
import type { Lag, LinkState } from './link-state.js';

/** Silence while the replica has bytes to acknowledge: it ACKs every second, so two seconds without one is news. */
export const UNACKED_SILENCE_MS = 2_000;
/** Default for a replica with nothing to acknowledge (`--ack-timeout`). */
export const DEFAULT_ACK_TIMEOUT_MS = 3_000;
/** At most one `lag` event per link and second. */
export const LAG_REPORT_MS = 1_000;

export class LagWatch {
  /** the lag as the last `ack` or `lag` event told it */
  private reported: { lagBytes: number; lagMs: number; at: number } | null = null;
  private silent = false;

  constructor(
    private readonly link: number,
    private readonly state: LinkState,
    private readonly emit: ReplSink,
    private readonly ackTimeoutMs = DEFAULT_ACK_TIMEOUT_MS,
  ) {}

  /** The lag now (null before the first ACK): what the events say, for anyone who asks in between. */
  current(at: number): Lag | null {
    return this.state.lagAt(at);
  }

  /** Whether the replica is silent (an `ack-silence` not yet followed by an ACK). */
  get ackSilent(): boolean {
    return this.silent;
  }

  tick(at: number): void {
    const lag = this.state.lagAt(at);
    const { link, reported } = this;
    const lastAckAt = this.state.ackAt;
    if (lag === null || reported === null || lastAckAt === null) return;
    const changed = reported.lagBytes !== lag.lagBytes || reported.lagMs !== lag.lagMs;
    if (changed && at - reported.at >= LAG_REPORT_MS) {
      this.reported = { lagBytes: lag.lagBytes, lagMs: lag.lagMs, at };
      this.emit({ type: 'lag', at, link, ...lag });
    }
    const silentMs = at - lastAckAt;
    const limit = lag.lagBytes > 0 ? Math.min(UNACKED_SILENCE_MS, this.ackTimeoutMs) : this.ackTimeoutMs;
    if (!this.silent && silentMs > limit) {
      this.silent = true;
      this.emit({ type: 'ack-silence', at, link, lastAckAt, silentMs, ackOffset: lag.ackOffset, lagBytes: lag.lagBytes, lagMs: lag.lagMs });
    }
  }

  /** After the `ack` event of an ACK that came `previousAckAt` after the one before (null for the first). */
  acked(ack: AckEvent, previousAckAt: number | null): void {
    this.reported = { lagBytes: ack.lagBytes, lagMs: ack.lagMs, at: ack.at };
    if (!this.silent) return;
    this.silent = false;
    const { at, link, offset, lagBytes, lagMs } = ack;
    this.emit({ type: 'ack-resumed', at, link, silentMs: previousAckAt === null ? 0 : at - previousAckAt, offset, lagBytes, lagMs });
  }
}
