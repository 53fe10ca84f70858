// Writes WireEvents to a capture file without ever holding up the forward path: wire() encodes the record (a
// small head and checksum around the chunk itself, copied only to mask a secret) and queues it; the disk is
// written asynchronously. When the queue is full or the disk fails, the bytes are dropped and an explicit gap record says where (link, direction, position), how many bytes and why; the
// caller hears of it through onGap. Records are appended whole and in order, so a run killed with SIGKILL
// leaves a file that reads back up to its last complete record.
import { closeSync, fsync, mkdirSync, openSync, writeSync, writev as fsWritev } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { From, WireEvent, WireSink } from '../core/events.js';
import { AuthSecretScanner } from './auth-secrets.js';
import { CAPTURE_EXTENSION, encodeHeader, encodeRecordParts, type CaptureMeta, type GapDetail } from './format.js';
import { RdbBodyElider } from './rdb-elider.js';

const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
/** writev takes at most 1024 buffers at once (IOV_MAX on Linux); a record is three */
const MAX_BATCH_RECORDS = Math.floor(1024 / 3);

/** Bytes of one link direction that are missing from the capture. */
export interface CaptureLoss {
  link: number;
  from: From;
  /** position of the first missing byte within the link direction */
  pos: number;
  bytes: number;
  /** `at` of the first missing chunk */
  at: number;
  reason: 'capture-overflow' | `disk-error: ${string}`;
  /** started: dropping from here on (bytes so far); recorded: the gap record with its final size is queued;
   *  unrecorded: the file could not take the gap record (the disk failed) */
  state: 'started' | 'recorded' | 'unrecorded';
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
  maxQueueBytes?: number;
  startedAt?: number;
  /** the write call, replaceable to simulate a failing disk in tests */
  writev?: typeof fsWritev;
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
  error: Error | null;
}

interface LinkState {
  pos: Record<From, number>;
  secrets: AuthSecretScanner | null;
  rdb: RdbBodyElider | null;
  loss: Partial<Record<From, CaptureLoss>>;
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
  tapped?: Tapped;
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
  try {
    writeSync(fd, encodeHeader(meta));
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return new Writer(fd, file, opts);
}

class Writer implements CaptureWriter {
  private readonly links = new Map<number, LinkState>();
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private writing = false;
  private closing = false;
  private error: Error | null = null;
  private recordsWritten = 0;
  private bytesWritten = 0;
  private droppedBytes = 0;
  private readonly maxQueueBytes: number;
  private readonly writev: typeof fsWritev;
  private drained: (() => void) | null = null;
  readonly wire: WireSink = (e) => {
    if (this.closing) return;
    try {
      this.take(e);
    } catch (err) {
      // a bug here must not reach the forward path: stop capturing, say so once
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  };

  constructor(
    private readonly fd: number,
    readonly path: string,
    private readonly opts: CaptureWriterOptions,
  ) {
    this.maxQueueBytes = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES;
    this.writev = opts.writev ?? fsWritev;
  }

  stats(): CaptureStats {
    const { recordsWritten, bytesWritten, queuedBytes, droppedBytes, error } = this;
    return { recordsWritten, bytesWritten, queuedBytes, droppedBytes, error };
  }

  private take(e: WireEvent): void {
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
        const rest = link.rdb?.finish();
        if (rest?.kind === 'elided') this.gap(e.link, link, 'master', e.at, rest.bytes, 'rdb-elided', rest.sha256);
        this.recordLosses(link);
        this.enqueue(encodeRecordParts(e));
        this.links.delete(e.link);
        return;
      }
      default:
        this.enqueue(encodeRecordParts(e));
    }
  }

  private link(id: number): LinkState {
    let link = this.links.get(id);
    if (!link) {
      link = {
        pos: { master: 0, replica: 0 },
        secrets: this.opts.captureSecrets ? null : new AuthSecretScanner(),
        rdb: this.opts.captureRdb === 'none' ? new RdbBodyElider() : null,
        loss: {},
      };
      this.links.set(id, link);
    }
    return link;
  }

  private bytes(e: WireEvent & { kind: 'bytes' }, link: LinkState, chunk: Buffer): void {
    const pos = link.pos[e.from];
    link.pos[e.from] += chunk.length;
    // scan before deciding to keep: the scanner must see every byte to stay in step
    const secrets = e.from === 'replica' && link.secrets && !link.secrets.done ? link.secrets.secretRanges(chunk) : [];
    if (this.lose(e.link, link, e.from, pos, chunk.length, e.at)) return;
    // mask a copy: the chunk itself may still wait in the destination socket
    const payload = secrets.length > 0 ? Buffer.from(chunk) : chunk;
    for (const [start, end] of secrets) payload.fill(0x2a /* '*' */, start, end);
    this.enqueue(encodeRecordParts({ ...e, chunk: payload }), { link: e.link, from: e.from, pos, bytes: chunk.length, at: e.at });
  }

  private gap(id: number, link: LinkState, from: From, at: number, bytes: number, reason: string, sha256?: string): void {
    const detail: GapDetail = { pos: link.pos[from] };
    if (sha256) detail.sha256 = sha256;
    link.pos[from] += bytes;
    this.enqueue(encodeRecordParts({ kind: 'gap', link: id, at, from, bytes, reason }, detail));
  }

  /** Drops the bytes if the queue has no room (or the disk failed); true when dropped. */
  private lose(id: number, link: LinkState, from: From, pos: number, bytes: number, at: number): boolean {
    const open = link.loss[from];
    if (!this.error && !open && this.queuedBytes + bytes <= this.maxQueueBytes) return false;
    if (!this.error && open && this.queuedBytes + bytes <= this.maxQueueBytes / 2) {
      // room again (with hysteresis, so one gap covers a whole stall): the gap record goes first
      this.recordLosses(link);
      return false;
    }
    this.droppedBytes += bytes;
    if (open) {
      open.bytes += bytes;
      // after a disk failure, queued bytes from before the loss join it
      if (pos < open.pos) Object.assign(open, { pos, at });
    } else {
      const reason = this.error ? (`disk-error: ${this.error.message}` as const) : 'capture-overflow';
      const loss: CaptureLoss = { link: id, from, pos, bytes, at, reason, state: 'started' };
      link.loss[from] = loss;
      this.notify(loss);
    }
    return true;
  }

  private recordLosses(link: LinkState): void {
    for (const from of ['master', 'replica'] as const) {
      const loss = link.loss[from];
      if (!loss) continue;
      delete link.loss[from];
      const state = this.error ? 'unrecorded' : 'recorded';
      if (!this.error) {
        this.enqueue(encodeRecordParts({ kind: 'gap', link: loss.link, at: loss.at, from, bytes: loss.bytes, reason: loss.reason }, { pos: loss.pos }));
      }
      this.notify({ ...loss, state });
    }
  }

  private enqueue(record: Buffer[], tapped?: Tapped): void {
    if (this.error) return;
    let size = 0;
    for (const part of record) size += part.length;
    this.queue.push({ record, size, tapped });
    this.queuedBytes += size;
    this.pump();
  }

  private pump(): void {
    if (this.writing) return;
    if (this.queue.length === 0 || this.error) {
      this.drained?.();
      return;
    }
    const batch = this.queue.splice(0, MAX_BATCH_RECORDS);
    this.writing = true;
    this.writeAll(batch.flatMap((q) => q.record), (err) => {
      this.writing = false;
      let bytes = 0;
      for (const q of batch) bytes += q.size;
      this.queuedBytes -= bytes;
      if (err) {
        this.fail(err, batch);
        this.drained?.();
        return;
      }
      this.recordsWritten += batch.length;
      this.bytesWritten += bytes;
      this.pump();
    });
  }

  /** writev may write part of a batch; go on with the rest. */
  private writeAll(buffers: Buffer[], done: (err: Error | null) => void): void {
    this.writev(this.fd, buffers, (err, written) => {
      if (err) return done(err);
      let rest = buffers;
      let left = written;
      while (rest.length > 0 && left >= rest[0]!.length) {
        left -= rest[0]!.length;
        rest = rest.slice(1);
      }
      if (rest.length === 0) return done(null);
      this.writeAll([rest[0]!.subarray(left), ...rest.slice(1)], done);
    });
  }

  /** The disk failed (or the writer has a bug): nothing more is written; every byte from here on is a loss. */
  private fail(err: Error, unwritten: Queued[] = []): void {
    if (this.error) return;
    this.error = err;
    for (const { tapped: t } of [...unwritten, ...this.queue]) {
      const link = t && this.links.get(t.link);
      if (link) this.lose(t.link, link, t.from, t.pos, t.bytes, t.at);
    }
    this.queue = [];
    this.queuedBytes = 0;
  }

  private notify(loss: CaptureLoss): void {
    try {
      this.opts.onGap?.(loss);
    } catch {
      // the listener's problem must not become the capture's or the proxy's
    }
  }

  async close(at = Date.now()): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const [id, link] of this.links) {
      const rest = link.rdb?.finish();
      if (rest?.kind === 'elided') this.gap(id, link, 'master', at, rest.bytes, 'rdb-elided', rest.sha256);
      this.recordLosses(link);
    }
    this.enqueue(encodeRecordParts({ kind: 'end', at }));
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      this.pump();
    });
    if (!this.error) await new Promise<void>((resolve) => fsync(this.fd, () => resolve()));
    closeSync(this.fd);
  }
}
