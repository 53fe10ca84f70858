// What `replay --to` sends: one link's full sync taken from a capture — the RDB snapshot exactly as the
// master sent it, then the propagated stream up to its last complete command — plus, in plain words,
// everything that cannot be replayed and why. Streamed: a first read of the capture finds the link and where
// its snapshot and stream lie; chunks() reads them from the file again, so no snapshot is ever held in memory.
import type { WireEvent } from '../core/events.js';
import { createPipeline } from '../decode/pipeline.js';
import { RespFramer } from '../resp/framer.js';
import type { Capture } from '../capture/reader.js';
import { missingLink } from './event-filter.js';

export interface LinkFullSync {
  link: number;
  replid: string;
  /** the +FULLRESYNC offset: the snapshot's replication offset */
  offset: number;
  rdbBytes: number;
  /** bytes of the complete commands after the snapshot */
  streamBytes: number;
  /** replication offset after the last complete command */
  finalOffset: number;
  /** Reads the capture again: the RDB payload, then the commands after it, exactly as sent, in the pieces they
   *  were recorded in. */
  chunks(): AsyncGenerator<{ part: 'rdb' | 'stream'; chunk: Buffer }>;
}

export interface FullSyncResult {
  sync: LinkFullSync | null;
  /** what could not be replayed, and why (empty when everything can be) */
  problems: string[];
}

/** Where the first RDB payload of a master→replica byte stream lies, found as its bytes are fed. */
export class SnapshotLocator {
  /** [rdbStart, rdbEnd) is the payload (without the `$EOF:` end mark); what follows it starts at streamStart */
  found: { rdbStart: number; rdbEnd: number; streamStart: number } | null = null;
  private bodyStart = 0;
  private readonly framer = new RespFramer('replication', {
    rdbStart: (_size, _mark, _start, bodyStart) => (this.bodyStart = bodyStart),
    rdbEnd: (bodyEnd, end) => {
      this.found = { rdbStart: this.bodyStart, rdbEnd: bodyEnd, streamStart: end };
      this.framer.stop();
    },
    error: () => undefined,
  });

  feed(chunk: Buffer): void {
    if (!this.found) this.framer.feed(chunk);
  }
}

interface LinkRecord {
  snapshot: SnapshotLocator;
  /** master→replica bytes before the first gap */
  m2rBytes: number;
  gap: { pos: number; bytes: number; reason: string } | null;
  fullresync: { replid: string; offset: number } | null;
  lastOffset: number | null;
}

/** Reads the capture once (the sync's chunks() reads it again). Without `link`: the fully synced link that got
 *  furthest. */
export async function extractFullSync(capture: Capture, link?: number): Promise<FullSyncResult> {
  const links = new Map<number, LinkRecord>();
  const rec = (id: number) => {
    let r = links.get(id);
    if (!r) links.set(id, (r = { snapshot: new SnapshotLocator(), m2rBytes: 0, gap: null, fullresync: null, lastOffset: null }));
    return r;
  };
  const pipeline = createPipeline();
  pipeline.subscribe((e) => {
    if (e.type === 'fullresync') rec(e.link).fullresync = { replid: e.replid, offset: e.offset };
    else if (e.type === 'command' && !rec(e.link).gap) rec(e.link).lastOffset = e.offset;
  });
  const problems: string[] = [];
  const seen = new Set<number>();
  let lastAt = 0;
  try {
    for await (const e of capture.events()) {
      lastAt = e.at;
      if ('link' in e) seen.add(e.link);
      collect(e, link, rec);
      pipeline.wire(e);
    }
  } catch (err) {
    problems.push(`${err instanceof Error ? err.message : String(err)}: what follows the damage cannot be replayed`);
  }
  pipeline.end(capture.endAt ?? lastAt);

  const candidates = [...links].filter(([id, r]) => r.fullresync && (link === undefined || id === link));
  const missing = missingLink(link, seen);
  if (missing) {
    problems.push(missing);
    return { sync: null, problems };
  }
  if (candidates.length === 0) {
    problems.push(link === undefined ? 'no link of this capture has a full sync (+FULLRESYNC) to replay' : `link ${link} has no full sync (+FULLRESYNC) in this capture (a partial resync or an rdb-channel main link cannot be replayed on its own)`);
    return { sync: null, problems };
  }
  candidates.sort(([a, ra], [b, rb]) => (rb.lastOffset ?? rb.fullresync!.offset) - (ra.lastOffset ?? ra.fullresync!.offset) || a - b);
  const [id, r] = candidates[0]!;
  const found = r.snapshot.found;
  if (!found) {
    const why = r.gap ? `${r.gap.bytes} bytes are missing from the capture at byte ${r.gap.pos} (${r.gap.reason})` : 'the capture ends before it is complete';
    problems.push(`link ${id}: the RDB snapshot cannot be replayed: ${why}`);
    return { sync: null, problems };
  }
  const { replid, offset } = r.fullresync!;
  const finalOffset = r.lastOffset ?? offset;
  if (r.gap) {
    problems.push(`link ${id}: ${r.gap.bytes} bytes of the stream are missing from the capture at byte ${r.gap.pos} (${r.gap.reason}): commands after replication offset ${finalOffset} cannot be replayed`);
  }
  const rdb = { from: found.rdbStart, to: found.rdbEnd };
  const stream = { from: found.streamStart, to: found.streamStart + Math.min(finalOffset - offset, r.m2rBytes - found.streamStart) };
  const sync: LinkFullSync = {
    link: id,
    replid,
    offset,
    rdbBytes: rdb.to - rdb.from,
    streamBytes: stream.to - stream.from,
    finalOffset,
    chunks: () => readAgain(capture, id, rdb, stream),
  };
  return { sync, problems };
}

/** Follows the master→replica bytes of the links asked for, up to the first gap. */
function collect(e: WireEvent, link: number | undefined, rec: (id: number) => LinkRecord): void {
  if (e.kind === 'tick' || e.kind === 'server-info' || e.kind === 'side-event' || (link !== undefined && e.link !== link)) return;
  if (e.kind === 'bytes' && e.from === 'master') {
    const r = rec(e.link);
    if (r.gap) return;
    r.snapshot.feed(e.chunk);
    r.m2rBytes += e.chunk.length;
  } else if (e.kind === 'gap' && e.from === 'master') {
    const r = rec(e.link);
    r.gap ??= { pos: r.m2rBytes, bytes: e.bytes, reason: e.reason };
  }
}

type Range = { from: number; to: number };

/** The link's master→replica bytes in `rdb`, then in `stream` (both before its first gap, as the first read found). */
async function* readAgain(capture: Capture, link: number, rdb: Range, stream: Range): AsyncGenerator<{ part: 'rdb' | 'stream'; chunk: Buffer }> {
  let pos = 0;
  for await (const e of capture.events()) {
    if (e.kind !== 'bytes' || e.from !== 'master' || e.link !== link) continue;
    const at = pos;
    pos += e.chunk.length;
    const inRdb = within(e.chunk, at, rdb);
    if (inRdb) yield { part: 'rdb', chunk: inRdb };
    const inStream = within(e.chunk, at, stream);
    if (inStream) yield { part: 'stream', chunk: inStream };
    if (pos >= stream.to) return;
  }
  throw new Error(`${capture.file}: link ${link} ends at byte ${pos} on a second read, before the ${stream.to} bytes found on the first (was the file changed?)`);
}

/** The part of a chunk that starts at byte `at` lying in `r`, or null. */
function within(chunk: Buffer, at: number, r: Range): Buffer | null {
  const from = Math.max(r.from - at, 0);
  const to = Math.min(r.to - at, chunk.length);
  return from < to ? chunk.subarray(from, to) : null;
}
