// Decoder of the replica→master direction of one link: handshake commands (PING, AUTH, REPLCONF, PSYNC, inline
// SYNC), newline keepalives while the replica loads, and REPLCONF ACK [FACK]. Protocol: protocol.md §2, §4.4, §6.4.

import type { AckEvent, ReplSink } from '../core/events.js';
import { excerptHex } from './excerpt.js';
import type { LagWatch } from './lag-watch.js';
import type { LinkState } from './link-state.js';
import { maskSecrets } from './mask-secrets.js';
import { RespFramer } from './resp-framer.js';
import { CommandStartFinder } from './command-start.js';

export class ReplicaStream {
  private framer: RespFramer;
  private at = 0;
  /** byte position in this direction of the chunk being fed */
  private pos = 0;
  // lost framing (a gap, a capture joined mid-stream): as in MasterStream
  private commandStart: CommandStartFinder | null = null;
  private recovering: { pos: number } | null = null;
  private retryAt: number | null = null;

  constructor(
    private readonly link: number,
    private readonly state: LinkState,
    private readonly emit: ReplSink,
    private readonly showSecrets: boolean,
    private readonly lag: LagWatch,
    /** every REPLCONF ACK, before its event (a master stream joined mid-stream takes its offsets from one) */
    private readonly onAckOffset: (offset: number, at: number) => void = () => undefined,
  ) {
    this.framer = this.newFramer();
  }

  private newFramer(): RespFramer {
    return new RespFramer({
      command: (argv, bytes) => this.onCommand(argv, this.framer.pos - bytes),
      inline: (line, bytes) => this.onInline(line, this.framer.pos - bytes),
      violation: (code, pos, message, excerpt) => {
        if (this.recovering) this.retryAt = pos; // the command found was not one: look again from the bad byte
        else this.onViolation(code, pos, message, excerpt);
      },
    });
  }

  feed(chunk: Buffer, at: number): void {
    this.at = at;
    let i = 0;
    while (i < chunk.length) {
      if (this.commandStart && !this.recovering) {
        const found = this.commandStart.find(chunk, i, chunk.length);
        if (!found) break;
        const pos = this.pos + found.next - found.prefix.length;
        this.recovering = { pos };
        this.framer = this.newFramer();
        this.framer.pos = pos;
        if (found.prefix.length > 0) this.framer.feed(found.prefix);
        i = found.next;
      }
      this.framer.pos = this.pos + i;
      this.framer.feed(chunk, i, chunk.length);
      if (this.retryAt === null) break;
      this.commandStart!.skipped += this.retryAt - this.recovering!.pos;
      i = this.retryAt - this.pos;
      this.retryAt = null;
      this.recovering = null;
    }
    this.pos += chunk.length;
  }

  /** Bytes not available: the framing is lost, decoding resumes at the next command. */
  gap(bytes: number, at: number, _reason: string): void {
    this.at = at;
    if (this.framer.dead && !this.commandStart) {
      this.pos += bytes; // a violation stopped decoding already
      return;
    }
    this.recovering = null;
    if (this.commandStart) this.commandStart.reset();
    else this.commandStart = new CommandStartFinder();
    this.pos += bytes;
  }

  private onCommand(argv: Buffer[], pos: number): void {
    if (this.recovering) {
      this.emit({ type: 'resync', at: this.at, link: this.link, from: 'replica', pos: this.recovering.pos, skipped: this.commandStart!.skipped });
      this.recovering = null;
      this.commandStart = null;
    }
    const { at, link } = this;
    const name = argv.length > 0 ? argv[0].toString('latin1').toUpperCase() : '';
    if (name === 'REPLCONF' && argv.length >= 3 && argv[1].toString('latin1').toUpperCase() === 'ACK') {
      return this.onAck(argv);
    }
    const text = argv.map((a) => a.toString('utf8'));
    this.emit({ type: 'replica-command', at, link, argv: this.showSecrets ? text : maskSecrets(text), pos });
    if (name === 'PSYNC') this.onSyncAsked(text[1] ?? '?', Number(text[2] ?? -1));
    else if (name === 'SYNC') this.onSyncAsked(null, null);
  }

  private onInline(line: Buffer, pos: number): void {
    const { at, link } = this;
    if (line.length === 0) {
      this.emit({ type: 'keepalive', at, link, from: 'replica' });
      return;
    }
    const text = line.toString('utf8').trim().split(/\s+/);
    this.emit({ type: 'replica-command', at, link, argv: this.showSecrets ? text : maskSecrets(text), pos });
    if (text[0].toUpperCase() === 'SYNC') this.onSyncAsked(null, null);
  }

  private onSyncAsked(replid: string | null, offset: number | null): void {
    this.state.syncAskedAt = this.at;
    this.state.masterKeepalives = 0;
    this.state.psyncOffset = offset;
    if (replid !== null) {
      this.emit({ type: 'psync', at: this.at, link: this.link, replid, offset: Number.isSafeInteger(offset) ? offset! : -1 });
    }
  }

  private onAck(argv: Buffer[]): void {
    const offset = Number(argv[2].toString('latin1'));
    if (!Number.isSafeInteger(offset)) {
      return this.onViolation('RSPY_DECODE_BAD_ACK', this.framer.pos, `REPLCONF ACK with a non-integer offset ${JSON.stringify(argv[2].toString('latin1').slice(0, 40))}`);
    }
    const { at, link, state } = this;
    this.onAckOffset(offset, at);
    const previousAckAt = state.ackAt;
    state.acked(offset, at);
    const { lagBytes, lagMs } = state.lagAt(at)!;
    const ev: AckEvent = { type: 'ack', at, link, offset, lagBytes, lagMs };
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

  private onViolation(code: string, pos: number, message: string, excerpt?: Buffer): void {
    this.framer.stop(); // one violation per direction, then the bytes are only counted
    this.emit({ type: 'protocol-violation', at: this.at, link: this.link, from: 'replica', code, pos, message, excerptHex: excerpt ? excerptHex(excerpt) : '' });
  }
}
