// For `--capture-rdb none`: splits what a master sends into the bytes to keep and the RDB body to leave out,
// with the body's size and SHA-256 (kept in the gap record). A minimal framing of the master→replica
// direction, not the decoder: reply lines until `$<len>` or `$EOF:<mark>`, then the body, then everything
// else is kept. The body of `$EOF:` ends where the 40-byte mark appears again; the last 40 bytes seen are held
// back until it is known whether they are body or mark. Pure: chunks in, pieces out.
import { createHash, type Hash } from 'node:crypto';

const EOF_MARK_BYTES = 40;
const MAX_LINE_BYTES = 4096;

export type Piece =
  | { kind: 'keep'; chunk: Buffer }
  /** the RDB body (or, with complete=false, the part seen before the link ended) */
  | { kind: 'elided'; bytes: number; sha256: string; complete: boolean };

type State =
  | { name: 'lines'; line: Buffer[]; lineBytes: number }
  | { name: 'sized'; remaining: number }
  | { name: 'eof'; mark: Buffer; held: Buffer }
  | { name: 'stream' };

export class RdbBodyElider {
  private state: State = { name: 'lines', line: [], lineBytes: 0 };
  private hash: Hash | null = null;
  private bodyBytes = 0;

  /** True once no RDB body can follow: every later chunk is kept whole. */
  get done(): boolean {
    return this.state.name === 'stream';
  }

  feed(chunk: Buffer): Piece[] {
    const pieces: Piece[] = [];
    let keepFrom = 0;
    let i = 0;
    while (i < chunk.length) {
      const s = this.state;
      if (s.name === 'stream') break;
      if (s.name === 'lines') {
        if (s.lineBytes === 0 && chunk[i] === 0x2a /* '*': commands, no RDB on this link */) {
          this.state = { name: 'stream' };
          break;
        }
        const nl = chunk.indexOf(0x0a, i);
        const end = nl === -1 ? chunk.length : nl + 1;
        s.line.push(chunk.subarray(i, end));
        s.lineBytes += end - i;
        i = end;
        if (nl !== -1) this.lineDone(Buffer.concat(s.line).toString('latin1').replace(/\r?\n$/, ''));
        else if (s.lineBytes > MAX_LINE_BYTES) this.state = { name: 'stream' };
        continue;
      }
      // a body starts or goes on at i: what came before it in this chunk is kept
      if (i > keepFrom) pieces.push({ kind: 'keep', chunk: chunk.subarray(keepFrom, i) });
      if (s.name === 'sized') {
        const n = Math.min(s.remaining, chunk.length - i);
        this.body(chunk.subarray(i, i + n));
        s.remaining -= n;
        i += n;
        keepFrom = i;
        if (s.remaining === 0) pieces.push(this.bodyDone(true));
        continue;
      }
      // eof-marked body: the mark may start in the held-back bytes or anywhere in this chunk
      const rest = chunk.subarray(i);
      const seam = Buffer.concat([s.held, rest.subarray(0, EOF_MARK_BYTES - 1)]);
      const inSeam = seam.indexOf(s.mark);
      if (inSeam !== -1 && inSeam < s.held.length) {
        this.body(s.held.subarray(0, inSeam));
        pieces.push(this.bodyDone(true));
        pieces.push({ kind: 'keep', chunk: Buffer.concat([s.held.subarray(inSeam), rest]) });
        return pieces;
      }
      const inRest = rest.indexOf(s.mark);
      if (inRest !== -1) {
        this.body(s.held);
        this.body(rest.subarray(0, inRest));
        pieces.push(this.bodyDone(true));
        keepFrom = i + inRest;
        break;
      }
      const all = s.held.length + rest.length;
      const holdFromAll = Math.max(0, all - EOF_MARK_BYTES);
      if (rest.length >= EOF_MARK_BYTES) {
        this.body(s.held);
        this.body(rest.subarray(0, rest.length - EOF_MARK_BYTES));
        s.held = Buffer.from(rest.subarray(rest.length - EOF_MARK_BYTES));
      } else {
        const joined = Buffer.concat([s.held, rest]);
        this.body(joined.subarray(0, holdFromAll));
        s.held = joined.subarray(holdFromAll);
      }
      return pieces;
    }
    if (keepFrom < chunk.length) pieces.push({ kind: 'keep', chunk: keepFrom === 0 ? chunk : chunk.subarray(keepFrom) });
    return pieces;
  }

  /** At the end of the link: the part of a body seen so far, if the link ended inside one. */
  finish(): Piece | null {
    const s = this.state;
    if (s.name !== 'sized' && s.name !== 'eof') return null;
    if (s.name === 'eof') this.body(s.held);
    this.state = { name: 'stream' };
    return this.bodyDone(false);
  }

  private lineDone(text: string): void {
    if (text.startsWith('$EOF:')) {
      this.state = { name: 'eof', mark: Buffer.from(text.slice(5), 'latin1'), held: Buffer.alloc(0) };
      this.startBody();
    } else if (/^\$\d+$/.test(text) && Number(text.slice(1)) > 0) {
      this.state = { name: 'sized', remaining: Number(text.slice(1)) };
      this.startBody();
    } else if (text.startsWith('+CONTINUE')) {
      this.state = { name: 'stream' };
    } else {
      // +PONG, +OK, +FULLRESYNC, $ENDOFF:, -errors, keepalive newlines: more lines may follow
      this.state = { name: 'lines', line: [], lineBytes: 0 };
    }
  }

  private startBody(): void {
    this.hash = createHash('sha256');
    this.bodyBytes = 0;
  }

  private body(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.hash!.update(bytes);
    this.bodyBytes += bytes.length;
  }

  private bodyDone(complete: boolean): Piece {
    const piece: Piece = { kind: 'elided', bytes: this.bodyBytes, sha256: this.hash!.digest('hex'), complete };
    this.hash = null;
    this.state = { name: 'stream' };
    return piece;
  }
}
