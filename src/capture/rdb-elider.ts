// For `--capture-rdb none`: splits what a master sends into the bytes to keep and the RDB body to leave out,
// with the body's size and SHA-256 (kept in the gap record). The capture's own framer (never the decoder's, so a
// decoder bug cannot corrupt a capture) cuts the master→replica bytes; everything but the first RDB body is kept,
// and once the stream has started (+CONTINUE, a command) or the bytes are not RESP, every later chunk is kept
// whole without framing. A body is an RDB only after the master's +FULLRESYNC (or Valkey's $ENDOFF): a `$` reply
// before it is a client's (GET answered `$1`), and everything is kept (so is the RDB of a legacy SYNC, which has
// no such line). Pure: chunks in, pieces out.
import { createHash, type Hash } from 'node:crypto';
import { RespFramer } from '../resp/framer.js';

export type Piece =
  | { kind: 'keep'; chunk: Buffer }
  /** the RDB body (or, with complete=false, the part seen before the link ended) */
  | { kind: 'elided'; bytes: number; sha256: string; complete: boolean };

export class RdbBodyElider {
  private readonly framer = new RespFramer('replication', {
    rdbStart: (_size, mark, _start, bodyStart) => {
      if (!this.fullSync) return this.framer.stop();
      this.keepUpTo(bodyStart - this.base);
      this.hash = createHash('sha256');
      this.mark = mark;
    },
    rdbBody: (part) => {
      this.hash!.update(part);
      this.bodyBytes += part.length;
    },
    rdbEnd: (bodyEnd) => {
      const body = this.bodyDone(true);
      if (body.bytes > 0) this.pieces.push(body); // an empty body ($0, or the mark right after $EOF:) leaves nothing out
      // the start of the mark held back in earlier chunks goes out with what follows it
      if (bodyEnd < this.base) this.markCarry = this.mark!.subarray(0, this.base - bodyEnd);
      this.keepFrom = Math.max(0, bodyEnd - this.base);
      this.framer.stop();
    },
    reply: (head) => {
      const word = head.toString('latin1', 0, 11);
      if (word.startsWith('+CONTINUE')) this.framer.stop();
      else if (word === '+FULLRESYNC' || word.startsWith('$ENDOFF:')) this.fullSync = true;
    },
    command: () => this.framer.stop(),
    error: () => undefined, // not RESP: keep everything, as the dead framer no longer cuts
  });
  /** the master answered a full sync: the next `$` line is the RDB's */
  private fullSync = false;
  private hash: Hash | null = null; // while in a body
  private bodyBytes = 0;
  private mark: Buffer | null = null;
  private markCarry: Buffer | null = null;
  // the chunk being fed: its stream position, what of it is already in pieces
  private base = 0;
  private chunk: Buffer = Buffer.alloc(0);
  private keepFrom = 0;
  private pieces: Piece[] = [];

  /** True once no RDB body can follow: every later chunk is kept whole. */
  get done(): boolean {
    return this.framer.dead;
  }

  feed(chunk: Buffer): Piece[] {
    const pieces: Piece[] = (this.pieces = []);
    this.chunk = chunk;
    this.keepFrom = 0;
    this.framer.feed(chunk);
    if (!this.hash && this.keepFrom < chunk.length) {
      const rest = this.keepFrom === 0 ? chunk : chunk.subarray(this.keepFrom);
      pieces.push({ kind: 'keep', chunk: this.markCarry ? Buffer.concat([this.markCarry, rest]) : rest });
      this.markCarry = null;
    }
    this.base += chunk.length;
    return pieces;
  }

  /** At the end of the link: the part of a body seen so far, if the link ended inside one. */
  finish(): Piece | null {
    this.framer.end(); // bytes held back as a possible mark are body
    return this.hash ? this.bodyDone(false) : null;
  }

  /** What of the chunk precedes index `to` and is not in a piece yet is kept. */
  private keepUpTo(to: number): void {
    if (to > this.keepFrom) this.pieces.push({ kind: 'keep', chunk: this.chunk.subarray(this.keepFrom, to) });
    this.keepFrom = to;
  }

  private bodyDone(complete: boolean): Piece & { kind: 'elided' } {
    const piece = { kind: 'elided' as const, bytes: this.bodyBytes, sha256: this.hash!.digest('hex'), complete };
    this.hash = null;
    return piece;
  }
}
