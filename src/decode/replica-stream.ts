// Decoder of the replica→master direction of one link: handshake commands (PING, AUTH, REPLCONF, PSYNC, inline
// SYNC), newline keepalives while the replica loads, and REPLCONF ACK [FACK]. Protocol: protocol.md §2, §4.4, §6.4.

import type { AckEvent, ReplSink, ViolationCode } from '../core/events.js';
import { RespFramer } from '../resp/framer.js';
import { commandExcerptHex, excerptHex } from './excerpt.js';
import type { LagWatch } from './lag-watch.js';
import type { LinkState } from './link-state.js';
import { maskSecrets } from './mask-secrets.js';

export class ReplicaStream {
  private readonly framer: RespFramer;
  private at = 0;
  /** Every request first goes here while the link may be a client's (see link-decoder.ts); true: it was a
   *  client's, and is not read as a replica's. */
  requests: ((argv: Buffer[], pos: number, end: number, at: number) => boolean) | null = null;

  constructor(
    private readonly link: number,
    private readonly state: LinkState,
    private readonly emit: ReplSink,
    private readonly showSecrets: boolean,
    private readonly lag: LagWatch,
    /** every REPLCONF ACK, before its event (a master stream joined mid-stream takes its offsets from one) */
    private readonly onAckOffset: (offset: number, at: number) => void = () => undefined,
  ) {
    this.framer = new RespFramer('requests', {
      command: (argv, start, end) => this.onCommand(argv, start, end),
      inline: (line, start, end) => this.onInline(line, start, end),
      keepalive: (start, end) => this.emit({ type: 'keepalive', at: this.at, link: this.link, from: 'replica', pos: start, end }),
      resync: (start, end, skipped) => this.emit({ type: 'resync', at: this.at, link: this.link, from: 'replica', pos: start, end, skipped }),
      error: (e) => this.violation(e.code, e.pos, e.end, e.message, excerptHex(e.excerpt)),
    });
  }

  /** Byte position in this direction: the bytes fed and the gaps. */
  get pos(): number {
    return this.framer.pos;
  }

  feed(chunk: Buffer, at: number): void {
    this.at = at;
    this.framer.feed(chunk);
  }

  /** Bytes not available: the framing is lost, decoding resumes at the next command. */
  gap(bytes: number, at: number): void {
    this.at = at;
    this.framer.gap(bytes);
  }

  private onCommand(argv: Buffer[], pos: number, end: number): void {
    if (this.requests?.(argv, pos, end, this.at)) return;
    const { at, link } = this;
    const name = argv.length > 0 ? argv[0].toString('latin1').toUpperCase() : '';
    if (name === 'REPLCONF' && argv.length >= 3 && argv[1].toString('latin1').toUpperCase() === 'ACK') {
      return this.onAck(argv, pos, end);
    }
    const text = argv.map((a) => a.toString('utf8'));
    this.emit({ type: 'replica-command', at, link, argv: this.showSecrets ? text : maskSecrets(text), pos, end });
    if (name === 'PSYNC') this.onSyncAsked(text[1] ?? '?', Number(text[2] ?? -1), pos, end);
    else if (name === 'SYNC') this.onSyncAsked(null, null, pos, end);
  }

  private onInline(line: Buffer, pos: number, end: number): void {
    const { at, link } = this;
    const text = line.toString('utf8').trim().split(/\s+/);
    if (this.requests?.(text.map((w) => Buffer.from(w, 'utf8')), pos, end, at)) return;
    this.emit({ type: 'replica-command', at, link, argv: this.showSecrets ? text : maskSecrets(text), pos, end });
    if (text[0].toUpperCase() === 'SYNC') this.onSyncAsked(null, null, pos, end);
  }

  private onSyncAsked(replid: string | null, offset: number | null, pos: number, end: number): void {
    this.state.syncAskedAt = this.at;
    this.state.masterKeepalives = 0;
    this.state.psyncOffset = offset;
    if (replid !== null) {
      this.emit({ type: 'psync', at: this.at, link: this.link, replid, offset: Number.isSafeInteger(offset) ? offset! : -1, pos, end });
    }
  }

  private onAck(argv: Buffer[], pos: number, end: number): void {
    const offset = Number(argv[2].toString('latin1'));
    if (!Number.isSafeInteger(offset)) {
      return this.violation('RSPY_DECODE_BAD_ACK', pos, end, `REPLCONF ACK with a non-integer offset ${JSON.stringify(argv[2].toString('latin1').slice(0, 40))}`, commandExcerptHex(argv));
    }
    const { at, link, state } = this;
    this.onAckOffset(offset, at);
    const previousAckAt = state.ackAt;
    state.acked(offset, at);
    const { lagBytes, lagMs } = state.lagAt(at)!;
    const ev: AckEvent = { type: 'ack', at, link, offset, lagBytes, lagMs, pos, end };
    if (argv.length >= 5 && argv[3].toString('latin1').toUpperCase() === 'FACK') {
      const fack = Number(argv[4].toString('latin1'));
      if (Number.isSafeInteger(fack)) ev.fack = fack;
    }
    if (state.rdbEndAt !== null) {
      ev.loadMs = at - state.rdbEndAt;
      state.rdbEndAt = null;
    }
    this.emit(ev);
    this.lag.acked(ev, previousAckAt);
  }

  private violation(code: ViolationCode, pos: number, end: number, message: string, excerptHex: string): void {
    this.framer.stop(); // one violation per direction, then the bytes are only counted
    this.emit({ type: 'protocol-violation', at: this.at, link: this.link, from: 'replica', code, pos, end, message, excerptHex });
  }
}
