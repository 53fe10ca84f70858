// Reads a capture file back as the WireEvents the proxy saw. Every complete record before any damage is
// delivered first; then a CaptureError names the file and the byte offset of the damage.
import { open, type FileHandle } from 'node:fs/promises';
import type { WireEvent } from '../core/events.js';
import { readerFor, ticksUpTo, type FormatReader } from './compat.js';
import { CaptureError } from './errors.js';
import { decodeHeader, HEADER_PREFIX_BYTES, type CaptureMeta } from './format.js';

const READ_BLOCK_BYTES = 1 << 20;

export interface Capture {
  file: string;
  formatVersion: number;
  meta: CaptureMeta;
  /** The events in file order. Throws a CaptureError after the last complete record if the file is damaged. */
  events(): AsyncGenerator<WireEvent>;
  /** Set once events() has reached the end record: when the capture was closed. */
  readonly endAt: number | null;
}

/** Opens a capture and checks its header: not a capture, a future version or a damaged header throw here. */
export async function openCapture(file: string): Promise<Capture> {
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: 'EISDIR', path: file });
    const size = st.size;
    let head = await readAt(fh, 0, Math.min(size, 4096));
    let header = decodeHeader(head);
    if (!header.ok && header.need !== undefined && header.need <= size) {
      head = await readAt(fh, 0, header.need);
      header = decodeHeader(head);
    }
    if (!header.ok) {
      if (header.need !== undefined) {
        const code = size < HEADER_PREFIX_BYTES ? 'RSPY_CAPTURE_NOT_A_CAPTURE' : 'RSPY_CAPTURE_TRUNCATED';
        throw new CaptureError(code, file, size, `the file ends inside the capture header (${size} bytes)`);
      }
      throw new CaptureError(header.code, file, header.offset, header.problem);
    }
    const reader = readerFor(header.version);
    if (!reader) throw new CaptureError('RSPY_CAPTURE_VERSION', file, 8, `no reader for capture format version ${header.version}`);
    return makeCapture(file, size, header.version, header.meta, header.length, reader);
  } finally {
    await fh.close();
  }
}

function makeCapture(
  file: string,
  size: number,
  formatVersion: number,
  meta: CaptureMeta,
  firstRecordAt: number,
  { decode, ticksRecorded }: FormatReader,
): Capture {
  let endAt: number | null = null;

  async function* events(): AsyncGenerator<WireEvent> {
    const fh = await open(file, 'r');
    try {
      let offset = firstRecordAt; // file offset of buf[0]
      let buf: Buffer = Buffer.alloc(0);
      let filePos = firstRecordAt; // next byte to read from the file
      let records = 0;
      const clock = { next: null as number | null }; // made-up ticks of a capture that recorded none
      const fail = (code: 'RSPY_CAPTURE_FORMAT' | 'RSPY_CAPTURE_TRUNCATED', at: number, problem: string) =>
        new CaptureError(code, file, at, `${problem}; ${records} complete records before it were read`, records);
      for (;;) {
        const r = decode(buf);
        if (r.ok) {
          buf = buf.subarray(r.length);
          offset += r.length;
          records++;
          if (r.record.kind === 'end') {
            endAt = r.record.at;
            if (offset < size) throw fail('RSPY_CAPTURE_FORMAT', offset, `${size - offset} unexpected bytes after the end record`);
            return;
          }
          if (!ticksRecorded) yield* ticksUpTo(clock, r.record.at);
          yield r.record;
          continue;
        }
        if (r.need === undefined) throw fail('RSPY_CAPTURE_FORMAT', offset + r.offset, r.problem);
        if (offset + r.need > size) {
          if (offset === size) {
            throw fail('RSPY_CAPTURE_TRUNCATED', offset, 'the capture ends without its end record (the run was killed or the file was cut)');
          }
          throw fail('RSPY_CAPTURE_TRUNCATED', offset, `the last record is incomplete: it needs ${r.need} bytes, the file has ${size - offset} left (the run was killed, or the file was cut or damaged)`);
        }
        const more = await readAt(fh, filePos, Math.min(size - filePos, Math.max(READ_BLOCK_BYTES, r.need - buf.length)));
        filePos += more.length;
        buf = buf.length === 0 ? more : Buffer.concat([buf, more]);
      }
    } finally {
      await fh.close();
    }
  }

  return {
    file,
    formatVersion,
    meta,
    events,
    get endAt() {
      return endAt;
    },
  };
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}
