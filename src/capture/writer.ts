// Writes WireEvents to a capture file without ever holding up the forward path: wire() encodes the record (a
// small head and checksum around the chunk), copies it into the writer's own slabs (record-slabs.ts) and queues
// it; the disk is written asynchronously, in whole records at known file positions; less than 256 KiB waits up
// to 5 ms for more, so a busy client link costs a write per few ms, not one per chunk.
//
// Bytes that cannot be kept are dropped and become a loss of their link direction: when the unwritten queue is
// at its bound (a disk slower than the network), and while the disk fails (full, EIO). The file never keeps a
// torn record: a failed write is truncated back to the last whole record. While the disk fails, writing is
// retried with backoff; once it works again, each loss is written as a gap record that states its link,
// direction, position, size and time range, and capturing goes on. The caller hears of each loss when it starts
// and when it ends (onGap). A run killed with SIGKILL leaves a file that reads back up to its last whole record,
// at most the queue bound (default 8 MiB) behind what was forwarded.
import { closeSync, fsync, ftruncate, mkdirSync, openSync, writeSync, writev as fsWritev } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { From, GapReason, WireEvent, WireSink } from '../core/events.js';
import { CAPTURE_EXTENSION, encodeHeader, encodeRecordParts, type CaptureMeta } from './format.js';
import { RdbBodyElider } from './rdb-elider.js';
import { RecordSlabs, type Slab } from './record-slabs.js';
import { SecretMasker } from './secret-masker.js';

export const DEFAULT_MAX_UNWRITTEN_BYTES = 8 * 1024 * 1024;
/** writev takes at most 1024 buffers at once (IOV_MAX on Linux); a record is three */
const MAX_BATCH_RECORDS = Math.floor(1024 / 3);
const RETRY_FIRST_MS = 100;
/** Less than this queued waits up to FLUSH_DELAY_MS for more before it is written. */
const FLUSH_BYTES = 256 * 1024;
const FLUSH_DELAY_MS = 5;
const RETRY_MAX_MS = 5_000;

/** Bytes of one link direction that are missing from the capture. */
export interface CaptureLoss {
  link: number;
  from: From;
  /** position of the first missing byte within the link direction */
  pos: number;
  bytes: number;
  /** `at` of the first and of the last missing chunk */
  at: number;
  untilAt: number;
  reason: 'capture-overflow' | `disk-error: ${string}`;
  /** started: dropping from here on (bytes so far); ended: the gap record is in the file (or queued, for an
   *  overflow), capturing goes on; unrecorded: the capture closed while the disk still failed, no gap record */
  state: 'started' | 'ended' | 'unrecorded';
}

export interface CaptureWriterOptions {
  /** explicit file; default `<dir>/<start-time>-<upstream>.rspy` */
  path?: string;
  dir?: string;
  /** the master, "host:port" */
  upstream: string;
  captureRdb: 'full' | 'none';
  captureSecrets: boolean;
  onGap?: (loss: CaptureLoss) => void;
  /** bound of the unwritten queue: what a SIGKILL may lose at most (default 8 MiB) */
  maxQueueBytes?: number;
  startedAt?: number;
  /** the positioned write call, replaceable to simulate a failing disk in tests */
  writev?: (fd: number, buffers: Buffer[], position: number, cb: (err: NodeJS.ErrnoException | null, written: number) => void) => void;
}

export interface CaptureWriter {
  wire: WireSink;
  /** Writes what is queued and the end record, then closes the file. `at` defaults to now. */
  close(at?: number): Promise<void>;
  path: string;
  stats(): CaptureStats;
}

export interface CaptureStats {
  recordsWritten: number;
  bytesWritten: number;
  queuedBytes: number;
  droppedBytes: number;
  /** the disk error in force (null once writing works again), or the writer's own failure */
  error: Error | null;
}

interface LinkState {
  pos: Record<From, number>;
  secrets: SecretMasker | null;
  rdb: RdbBodyElider | null;
}

/** Where the bytes of a `bytes` record come from: what becomes a loss if the disk fails before they are written. */
interface Tapped {
  link: number;
  from: From;
  pos: number;
  bytes: number;
  at: number;
}

interface Queued {
  record: Buffer[];
  /** bytes of the encoded record */
  size: number;
  /** where the record was copied to: released once written */
  slab?: Slab | null;
  tapped?: Tapped;
  /** the record a loss ends with: once written, the loss has ended */
  ends?: CaptureLoss;
  /** a record of one link (direction): an open loss of it is recorded before it, to keep positions in order */
  link?: number;
  from?: From;
}

const toolVersion = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

function defaultCapturePath(dir: string, upstream: string, startedAt: number): string {
  const stamp = new Date(startedAt).toISOString().replace(/:/g, '-');
  return path.join(dir, `${stamp}-${upstream.replace(/[^A-Za-z0-9.-]/g, '_')}.${CAPTURE_EXTENSION}`);
}

/** Creates the file (owner-only, never overwriting) and writes its header before returning. */
export function openCaptureWriter(opts: CaptureWriterOptions): CaptureWriter {
  const startedAt = opts.startedAt ?? Date.now();
  const file = opts.path ?? defaultCapturePath(opts.dir ?? 'captures', opts.upstream, startedAt);
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'wx', 0o600);
  const meta: CaptureMeta = {
    startedAt,
    upstream: opts.upstream,
    tool: { name: 'repl-spy', version: toolVersion },
    options: { captureRdb: opts.captureRdb, captureSecrets: opts.captureSecrets },
  };
  const header = encodeHeader(meta);
  try {
    writeSync(fd, header);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return new Writer(fd, file, header.length, opts);
}

const keyOf = (link: number, from: From): string => `${link}/${from}`;

/** The parts of the batch's records, neighbours in one slab joined into one view: the kernel takes one buffer
 *  faster than a thousand small ones. */
function coalesced(batch: Queued[]): Buffer[] {
  const out: Buffer[] = [];
  let run: Buffer | null = null; // the parts joined so far: a view is made only when the run ends
  let runEnd = 0;
  for (const q of batch) {
    for (const part of q.record) {
      if (run && run.buffer === part.buffer && runEnd === part.byteOffset) {
        runEnd += part.length;
        continue;
      }
      if (run) out.push(Buffer.from(run.buffer, run.byteOffset, runEnd - run.byteOffset));
      run = part;
      runEnd = part.byteOffset + part.length;
    }
  }
  if (run) out.push(Buffer.from(run.buffer, run.byteOffset, runEnd - run.byteOffset));
  return out;
}

class Writer implements CaptureWriter {
  private readonly links = new Map<number, LinkState>();
  /** open losses by link direction */
  private losses = new Map<string, CaptureLoss>();
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private writing = false;
  private closing = false;
  /** the disk failed: bytes are dropped, the rest waits for a retry */
  private diskError: Error | null = null;
  /** the gap records of the losses are being written to find out whether the disk works again: bytes are kept */
  private probing = false;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  /** the writer itself failed (a bug): nothing more is captured */
  private broken: Error | null = null;
  private recordsWritten = 0;
  private bytesWritten = 0;
  private droppedBytes = 0;
  private readonly maxQueueBytes: number;
  private readonly writev: NonNullable<CaptureWriterOptions['writev']>;
  private idle: (() => void) | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly slabs = new RecordSlabs();
  private readonly flush = (): void => {
    this.flushTimer = null;
    this.pump(true);
  };
  readonly wire: WireSink = (e) => {
    if (this.closing || this.broken) return;
    try {
      this.take(e);
    } catch (err) {
      // a bug here must not reach the forward path: stop capturing, say so once
      this.broken = err instanceof Error ? err : new Error(String(err));
      this.queue = [];
      this.queuedBytes = 0;
    }
  };

  constructor(
    private readonly fd: number,
    readonly path: string,
    /** file offset just after the last whole record (the header, at first) */
    private filePos: number,
    private readonly opts: CaptureWriterOptions,
  ) {
    this.maxQueueBytes = opts.maxQueueBytes ?? DEFAULT_MAX_UNWRITTEN_BYTES;
    this.writev = opts.writev ?? ((fd, buffers, position, cb) => fsWritev(fd, buffers, position, cb));
  }

  stats(): CaptureStats {
    const { recordsWritten, bytesWritten, queuedBytes, droppedBytes } = this;
    return { recordsWritten, bytesWritten, queuedBytes, droppedBytes, error: this.broken ?? this.diskError };
  }

  private take(e: WireEvent): void {
    if (e.kind === 'tick') {
      if (this.links.size > 0) this.enqueue({ record: encodeRecordParts(e) }); // the clock matters only to open links
      return;
    }
    if (e.kind === 'server-info' || e.kind === 'side-event') {
      this.enqueue({ record: encodeRecordParts(e) });
      return;
    }
    const link = this.link(e.link);
    switch (e.kind) {
      case 'bytes': {
        if (e.from === 'master' && link.rdb && !link.rdb.done) {
          for (const piece of link.rdb.feed(e.chunk)) {
            if (piece.kind === 'keep') this.bytes(e, link, piece.chunk);
            else this.gap(e.link, link, 'master', e.at, piece.bytes, 'rdb-elided', piece.sha256);
          }
        } else {
          this.bytes(e, link, e.chunk);
        }
        return;
      }
      case 'gap':
        this.gap(e.link, link, e.from, e.at, e.bytes, e.reason);
        return;
      case 'close': {
        this.finishLink(e.link, link, e.at);
        this.enqueue({ record: encodeRecordParts(e), link: e.link });
        this.links.delete(e.link);
        return;
      }
      default:
        this.enqueue({ record: encodeRecordParts(e) });
    }
  }

  private link(id: number): LinkState {
    let link = this.links.get(id);
    if (!link) {
      link = {
        pos: { master: 0, replica: 0 },
        secrets: this.opts.captureSecrets ? null : new SecretMasker(),
        rdb: this.opts.captureRdb === 'none' ? new RdbBodyElider() : null,
      };
      this.links.set(id, link);
    }
    return link;
  }

  /** What a link still holds back when it ends: an RDB body left out, an inline line the masker waited on. */
  private finishLink(id: number, link: LinkState, at: number): void {
    const rest = link.rdb?.finish();
    if (rest?.kind === 'elided') this.gap(id, link, 'master', at, rest.bytes, 'rdb-elided', rest.sha256);
    const held = link.secrets?.end();
    if (held && held.length > 0) this.enqueue({ record: encodeRecordParts({ kind: 'bytes', link: id, at, from: 'replica', chunk: held }), link: id, from: 'replica' });
  }

  private bytes(e: WireEvent & { kind: 'bytes' }, link: LinkState, chunk: Buffer): void {
    const pos = link.pos[e.from];
    link.pos[e.from] += chunk.length;
    // mask before deciding to keep: the masker must see every byte to stay in step (it never changes the chunk,
    // which may still wait in the destination socket)
    const payload = e.from === 'replica' && link.secrets && !link.secrets.done ? link.secrets.mask(chunk) : chunk;
    const tapped: Tapped = { link: e.link, from: e.from, pos, bytes: chunk.length, at: e.at };
    if (this.mustDrop(e.link, e.from, payload.length)) return this.lose(tapped, this.diskError);
    if (payload.length > 0) this.enqueue({ record: encodeRecordParts(payload === e.chunk ? e : { ...e, chunk: payload }), tapped, link: e.link, from: e.from });
  }

  /** Drop while the disk fails or the queue has no room; a loss in progress goes on until the queue is half
   *  empty again, so one gap covers a whole stall. */
  private mustDrop(link: number, from: From, bytes: number): boolean {
    if (this.diskError) return !this.probing;
    const room = this.losses.size > 0 && this.losses.has(keyOf(link, from)) ? this.maxQueueBytes / 2 : this.maxQueueBytes;
    return this.queuedBytes + bytes > room;
  }

  private gap(id: number, link: LinkState, from: From, at: number, bytes: number, reason: GapReason, sha256?: string): void {
    const pos = link.pos[from];
    link.pos[from] += bytes;
    this.enqueue({ record: encodeRecordParts({ kind: 'gap', link: id, at, from, bytes, reason, pos, ...(sha256 ? { sha256 } : {}) }), link: id, from });
  }

  /** Bytes that are not kept join the loss of their link direction (a new one is announced). */
  private lose(t: Tapped, diskError: Error | null): void {
    this.droppedBytes += t.bytes;
    const key = keyOf(t.link, t.from);
    const open = this.losses.get(key);
    if (open) {
      open.bytes += t.bytes;
      open.untilAt = Math.max(open.untilAt, t.at);
      return;
    }
    const reason = diskError ? (`disk-error: ${diskError.message}` as const) : 'capture-overflow';
    const loss: CaptureLoss = { link: t.link, from: t.from, pos: t.pos, bytes: t.bytes, at: t.at, untilAt: t.at, reason, state: 'started' };
    this.losses.set(key, loss);
    this.notify(loss);
  }

  /** Queues the gap record of an open loss; the loss has ended once it is written. */
  private endLoss(key: string): void {
    const loss = this.losses.get(key);
    if (!loss) return;
    this.losses.delete(key);
    const record = encodeRecordParts({ kind: 'gap', link: loss.link, at: loss.at, from: loss.from, bytes: loss.bytes, reason: loss.reason, pos: loss.pos, untilAt: loss.untilAt });
    this.push({ record, ends: loss, link: loss.link, from: loss.from });
  }

  private enqueue(q: Omit<Queued, 'size'>): void {
    // a loss of this link (direction) is recorded before the record that follows it
    if (q.link !== undefined && this.losses.size > 0) {
      for (const from of q.from ? [q.from] : (['master', 'replica'] as const)) this.endLoss(keyOf(q.link, from));
    }
    this.push(q);
  }

  private push(q: Omit<Queued, 'size'>): void {
    let size = 0;
    for (const part of q.record) size += part.length;
    // one object shape for every record: this runs for every chunk of every link
    const { parts, slab } = this.slabs.copy(q.record, size);
    this.queue.push({ record: parts, size, slab, tapped: q.tapped, ends: q.ends, link: q.link, from: q.from });
    this.queuedBytes += size;
    this.pump();
  }

  /** `now`: the flush delay is over. */
  private pump(now = false): void {
    if (this.writing || this.retryTimer || this.flushTimer) return;
    // a little data waits a few ms for more: each write costs ~20 µs of CPU, a record of a client link ~1 µs
    if (!now && !this.closing && this.queue.length > 0 && this.queuedBytes < FLUSH_BYTES) {
      this.flushTimer = setTimeout(this.flush, FLUSH_DELAY_MS);
      return;
    }
    if (this.queue.length === 0) {
      if (this.diskError && this.losses.size === 0) this.diskError = null;
      if (this.diskError) this.probing = true; // a retry with nothing else to write: the gap records try the disk
      // the queue drained: losses end even if their link sends nothing more
      if (this.losses.size > 0) return this.endAllLosses();
      this.idle?.();
      return;
    }
    const batch = this.queue.splice(0, MAX_BATCH_RECORDS);
    this.writing = true;
    this.writeAll(batch, (err, whole) => {
      this.writing = false;
      const written = batch.slice(0, whole);
      const unwritten = batch.slice(whole);
      let bytes = 0;
      for (const q of written) {
        bytes += q.size;
        if (q.slab) this.slabs.release(q.slab);
      }
      this.filePos += bytes;
      this.recordsWritten += written.length;
      this.bytesWritten += bytes;
      this.queuedBytes -= bytes;
      for (const q of written) if (q.ends) this.notify({ ...q.ends, state: 'ended' });
      if (err) return this.diskFailed(err, unwritten);
      if (this.diskError) this.recovered();
      this.pump();
    });
  }

  /** Writes the batch at filePos; on failure, truncates a torn record away. `whole`: records fully written. */
  private writeAll(batch: Queued[], done: (err: Error | null, whole: number) => void): void {
    const buffers = coalesced(batch);
    let total = 0;
    const step = (rest: Buffer[], written: number): void => {
      this.writev(this.fd, rest, this.filePos + written, (err, n) => {
        if (!err) {
          written += n;
          // the first buffer not wholly written (an index, not a slice per buffer: a batch holds up to 1023)
          let left = n;
          let i = 0;
          while (i < rest.length && left >= rest[i]!.length) left -= rest[i++]!.length;
          if (i === rest.length) return done(null, batch.length);
          if (n > 0) return step([rest[i]!.subarray(left), ...rest.slice(i + 1)], written);
          err = Object.assign(new Error('the disk took no bytes'), { code: 'EIO' });
        }
        let whole = 0;
        for (let end = 0; whole < batch.length && end + batch[whole]!.size <= written; whole++) end += batch[whole]!.size;
        for (let k = 0; k < whole; k++) total += batch[k]!.size;
        if (total === written) return done(err, whole);
        // a record was cut by the failure: the file ends at the last whole one again
        ftruncate(this.fd, this.filePos + total, () => done(err, whole));
      });
    };
    step(buffers, 0);
  }

  /** The disk failed: bytes not written become losses (in order, before any later record of their link), the
   *  other records wait; writing is retried with backoff. */
  private diskFailed(err: Error, unwritten: Queued[]): void {
    const first = this.diskError === null;
    this.diskError = err;
    this.probing = false;
    const later = [...unwritten, ...this.queue];
    this.queue = [];
    this.queuedBytes = 0;
    const openBefore = this.losses;
    this.losses = new Map();
    for (const q of later) {
      if (q.tapped) this.lose(q.tapped, err);
      else if (q.ends) this.reopen(q.ends);
      else this.enqueueWhileFailing(q);
    }
    for (const loss of openBefore.values()) this.reopen(loss);
    if (!first) this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, this.retryMs);
    this.retryTimer.unref();
    this.idle?.();
  }

  /** A loss whose gap record was not written is open again; it follows what was queued before it, so it joins a
   *  loss of the same link direction made of those queued bytes. */
  private reopen(loss: CaptureLoss): void {
    const key = keyOf(loss.link, loss.from);
    const before = this.losses.get(key);
    if (!before) return void this.losses.set(key, loss);
    before.bytes += loss.bytes;
    before.untilAt = Math.max(before.untilAt, loss.untilAt);
  }

  private enqueueWhileFailing(q: Queued): void {
    if (q.link !== undefined) for (const from of q.from ? [q.from] : (['master', 'replica'] as const)) this.endLoss(keyOf(q.link, from));
    this.queue.push(q);
    this.queuedBytes += q.size;
  }

  /** A write worked while the disk was failing: it works again; every loss is recorded and ends. */
  private recovered(): void {
    this.diskError = null;
    this.probing = false;
    this.retryMs = RETRY_FIRST_MS;
    this.endAllLosses();
  }

  private endAllLosses(): void {
    for (const key of [...this.losses.keys()]) this.endLoss(key);
  }

  private notify(loss: CaptureLoss): void {
    try {
      this.opts.onGap?.({ ...loss });
    } catch {
      // the listener's problem must not become the capture's or the proxy's
    }
  }

  async close(at = Date.now()): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.broken) {
      for (const [id, link] of this.links) this.finishLink(id, link, at);
      this.endAllLosses();
      this.push({ record: encodeRecordParts({ kind: 'end', at }) });
      // one last try now if the disk was failing; no flush delay
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      if (this.flushTimer) {
        clearTimeout(this.flushTimer);
        this.flushTimer = null;
      }
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        this.pump();
      });
      if (this.retryTimer) clearTimeout(this.retryTimer);
      for (const loss of this.losses.values()) this.notify({ ...loss, state: 'unrecorded' });
      if (!this.diskError) await new Promise<void>((resolve) => fsync(this.fd, () => resolve()));
    }
    closeSync(this.fd);
  }
}
