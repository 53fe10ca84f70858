// One direction of a TCP connection put back in order from captured segments, as the receiving stack would:
// out-of-order segments wait for the bytes before them, retransmitted and overlapping bytes are dropped (the
// first copy wins), and bytes the capture does not have become explicit gaps:
// - the part of a segment cut by the snap length, at once;
// - a hole that is not filled within the reassembly window: when the bytes waiting behind it would span more
//   than REASSEMBLY_WINDOW_BYTES (or REASSEMBLY_MAX_SEGMENTS segments), or when it is older than
//   REASSEMBLY_HOLE_MS of capture time, or when the capture ends;
// - the last bytes of a direction that the capture lost, with nothing captured behind them: the peer's ACK
//   tells they were sent; given up like a hole, after REASSEMBLY_HOLE_MS or when the capture ends.
// So memory per direction is bounded by the window, whatever the file size. Positions count the bytes of the
// direction from its first one (the byte after the SYN, or the first byte captured when joined mid-stream), so
// they go past 4 GiB where sequence numbers wrap. Pure: segments and capture times in, bytes and gaps out.

/** Out-of-order bytes held per direction at most (a loopback stack keeps up to ~6 MiB in flight). */
export const REASSEMBLY_WINDOW_BYTES = 8 * 1024 * 1024;
/** Out-of-order segments held per direction at most. */
export const REASSEMBLY_MAX_SEGMENTS = 4096;
/** A hole older than this (capture time) is given up as missing: retransmissions come far sooner. */
export const REASSEMBLY_HOLE_MS = 3000;

export type GapCause = 'not-captured' | 'snap-length';

export interface StreamSink {
  /** in-order bytes; `data` is a view of the captured frame or a copy the reassembler made */
  data(data: Buffer, at: number): void;
  gap(bytes: number, at: number, cause: GapCause): void;
}

interface Piece {
  pos: number;
  data: Buffer;
  /** bytes right after data that the snap length cut off */
  cut: number;
}

export class TcpDirection {
  /** true when the stream's first byte is known (its SYN was seen) */
  fromStart = false;
  /** position of the next byte to deliver: bytes delivered and gaps so far */
  pos = 0;
  /** position of the FIN, once seen */
  finPos: number | null = null;
  /** bytes seen again (retransmissions, duplicates of -i any) and dropped */
  duplicateBytes = 0;
  gapBytes = 0;
  private nextSeq: number | null = null; // sequence number of `pos`
  private pending: Piece[] = []; // sorted, not overlapping, all after pos
  private pendingSince = 0; // capture time the oldest hole waits since
  private heldBytes = 0;
  private ackedEnd = 0; // position the peer acknowledged up to (bytes before it were sent)
  private ackedSince = 0; // capture time since when acknowledged bytes are missing with nothing behind them

  constructor(private readonly sink: StreamSink) {}

  get started(): boolean {
    return this.nextSeq !== null;
  }

  /** True once everything before the FIN was delivered. */
  get finished(): boolean {
    return this.finPos !== null && this.pos >= this.finPos;
  }

  /** Out-of-order bytes held. */
  get held(): number {
    return this.heldBytes;
  }

  /** sequence number of this direction's SYN, once seen */
  isn: number | null = null;

  /** A SYN (or SYN-ACK) of this direction: its sequence number is the one before the first byte. */
  syn(seq: number): void {
    this.isn ??= seq >>> 0;
    if (this.nextSeq !== null) return;
    this.nextSeq = (seq + 1) >>> 0;
    this.fromStart = true;
  }

  /** The first byte's sequence number learned from the peer (its SYN-ACK acknowledges our SYN). */
  startAt(seq: number): void {
    if (this.nextSeq !== null) return;
    this.nextSeq = seq >>> 0;
    this.fromStart = true;
  }

  /** A segment of `length` bytes on the wire at `seq`, of which `payload` were captured. */
  segment(seq: number, payload: Buffer, length: number, fin: boolean, at: number): void {
    if (this.nextSeq === null) {
      if (length === 0 && !fin) return; // a bare ACK says nothing about where the data starts
      this.nextSeq = seq >>> 0; // joined mid-stream
    }
    const start = this.pos + ((seq - this.nextSeq) | 0);
    if (fin && this.finPos === null) this.finPos = start + length;
    if (length > 0) this.insert(start, payload, length - payload.length, at);
    this.expire(at);
  }

  /** The peer acknowledged the bytes before sequence number `ack`: they were sent, captured or not. */
  acked(ack: number, at: number): void {
    if (this.nextSeq === null) return;
    let end = this.pos + ((ack - this.nextSeq) | 0);
    if (this.finPos !== null) end = Math.min(end, this.finPos); // the FIN's own sequence number is no byte
    if (end <= this.ackedEnd || end <= this.pos) return; // old news (or bytes delivered already)
    if (this.ackedEnd <= this.pos) this.ackedSince = at;
    this.ackedEnd = end;
  }

  /** Gives up every hole: what waits behind them is delivered (the capture ended, or the connection reset). */
  flush(at: number): void {
    while (this.pending.length > 0) this.skipHole(at);
    // the FIN says where the bytes end (an ACK of it, seen before it, counts one more); without a FIN in the
    // capture an ACK of one would count its sequence number as one missing byte
    const end = this.finPos ?? this.ackedEnd;
    if (this.pos < end) this.lose(end - this.pos, at, 'not-captured');
  }

  /** Gives up holes older than REASSEMBLY_HOLE_MS. */
  expire(at: number): void {
    if (this.pending.length > 0 ? at - this.pendingSince > REASSEMBLY_HOLE_MS : this.ackedEnd > this.pos && at - this.ackedSince > REASSEMBLY_HOLE_MS) this.flush(at);
  }

  private insert(start: number, payload: Buffer, cut: number, at: number): void {
    let pos = start;
    let data = payload;
    const end = start + data.length + cut;
    if (end <= this.pos) {
      this.duplicateBytes += end - start;
      return;
    }
    if (pos < this.pos) {
      // the first copy wins: drop what was delivered already
      const drop = this.pos - pos;
      this.duplicateBytes += drop;
      if (drop <= data.length) data = data.subarray(drop);
      else {
        cut -= drop - data.length;
        data = data.subarray(data.length);
      }
      pos = this.pos;
    }
    if (pos === this.pos && (this.pending.length === 0 || this.pending[0]!.pos >= end)) {
      this.deliver(data, cut, at);
      this.drain(at);
      return;
    }
    this.hold(pos, end, data);
    this.drain(at);
    if (this.pending.length > 0 && this.pendingSince === 0) this.pendingSince = at;
    while (this.pending.length > 0 && (this.pendingEnd() - this.pos > REASSEMBLY_WINDOW_BYTES || this.pending.length > REASSEMBLY_MAX_SEGMENTS)) {
      this.skipHole(at);
    }
  }

  /** Holds the parts of [pos, end) that no held piece covers yet (the first copy wins); what lies past the
   *  captured `data` is cut. Copies, so that held bytes do not keep whole input chunks alive. */
  private hold(pos: number, end: number, data: Buffer): void {
    this.duplicateBytes += this.heldIn(pos, end);
    const dataEnd = pos + data.length;
    let cursor = pos;
    let k = 0;
    const add = (from: number, to: number): void => {
      const bytes = data.subarray(Math.min(from, dataEnd) - pos, Math.min(to, dataEnd) - pos);
      const piece: Piece = { pos: from, data: Buffer.from(bytes), cut: to - from - bytes.length };
      this.pending.splice(k++, 0, piece);
      this.heldBytes += bytes.length;
    };
    while (cursor < end) {
      const p = this.pending[k];
      if (!p) {
        add(cursor, end);
        break;
      }
      const pEnd = p.pos + p.data.length + p.cut;
      if (pEnd > cursor) {
        if (p.pos > cursor) add(cursor, Math.min(p.pos, end));
        cursor = Math.max(cursor, pEnd);
      }
      k++;
    }
  }

  /** Bytes of [from, to) that held pieces cover. */
  private heldIn(from: number, to: number): number {
    let n = 0;
    for (const p of this.pending) {
      const s = Math.max(from, p.pos);
      const e = Math.min(to, p.pos + p.data.length + p.cut);
      if (e > s) n += e - s;
    }
    return n;
  }

  private pendingEnd(): number {
    const last = this.pending[this.pending.length - 1]!;
    return last.pos + last.data.length + last.cut;
  }

  private drain(at: number): void {
    let progressed = false;
    while (this.pending.length > 0 && this.pending[0]!.pos === this.pos) {
      const p = this.pending.shift()!;
      this.heldBytes -= p.data.length;
      this.deliver(p.data, p.cut, at);
      progressed = true;
    }
    if (this.pending.length === 0) this.pendingSince = 0;
    else if (progressed) this.pendingSince = at;
  }

  private skipHole(at: number): void {
    this.lose(this.pending[0]!.pos - this.pos, at, 'not-captured');
    this.drain(at);
  }

  private advance(bytes: number): void {
    this.pos += bytes;
    this.nextSeq = (this.nextSeq! + bytes) >>> 0;
  }

  private deliver(data: Buffer, cut: number, at: number): void {
    if (data.length > 0) {
      this.advance(data.length);
      this.ackedSince = at; // acknowledged bytes still missing are no older than this progress
      this.sink.data(data, at);
    }
    if (cut > 0) this.lose(cut, at, 'snap-length');
  }

  private lose(bytes: number, at: number, cause: GapCause): void {
    this.advance(bytes);
    this.gapBytes += bytes;
    this.sink.gap(bytes, at, cause);
  }
}
