// What `replay --to` sends: one link's full sync taken from a capture — the RDB snapshot exactly as the
// master sent it, then the propagated stream up to its last complete command — plus, in plain words,
// everything that cannot be replayed and why.
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
  rdb: Buffer;
  /** complete commands after the snapshot, exactly as sent */
  stream: Buffer;
  /** replication offset after the last complete command */
  finalOffset: number;
}

export interface FullSyncResult {
  sync: LinkFullSync | null;
  /** what could not be replayed, and why (empty when everything can be) */
  problems: string[];
}

interface LinkRecord {
  m2r: Buffer[];
  m2rBytes: number;
  gap: { pos: number; bytes: number; reason: string } | null;
  fullresync: { replid: string; offset: number } | null;
  lastOffset: number | null;
}

/** Reads the capture once. Without `link`: the fully synced link that got furthest. */
export async function extractFullSync(capture: Capture, link?: number): Promise<FullSyncResult> {
  const links = new Map<number, LinkRecord>();
  const rec = (id: number) => {
    let r = links.get(id);
    if (!r) links.set(id, (r = { m2r: [], m2rBytes: 0, gap: null, fullresync: null, lastOffset: null }));
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
  const m2r = Buffer.concat(r.m2r);
  const split = splitSnapshot(m2r);
  if (!split) {
    const why = r.gap ? `${r.gap.bytes} bytes are missing from the capture at byte ${r.gap.pos} (${r.gap.reason})` : 'the capture ends before it is complete';
    problems.push(`link ${id}: the RDB snapshot cannot be replayed: ${why}`);
    return { sync: null, problems };
  }
  const { replid, offset } = r.fullresync!;
  const finalOffset = r.lastOffset ?? offset;
  if (r.gap) {
    problems.push(`link ${id}: ${r.gap.bytes} bytes of the stream are missing from the capture at byte ${r.gap.pos} (${r.gap.reason}): commands after replication offset ${finalOffset} cannot be replayed`);
  }
  const sync: LinkFullSync = { link: id, replid, offset, rdb: split.rdb, stream: split.rest.subarray(0, finalOffset - offset), finalOffset };
  return { sync, problems };
}

/** Keeps the master→replica bytes of the links asked for, up to the first gap. */
function collect(e: WireEvent, link: number | undefined, rec: (id: number) => LinkRecord): void {
  if (e.kind === 'tick' || e.kind === 'server-info' || (link !== undefined && e.link !== link)) return;
  if (e.kind === 'bytes' && e.from === 'master') {
    const r = rec(e.link);
    if (r.gap) return;
    r.m2r.push(e.chunk);
    r.m2rBytes += e.chunk.length;
  } else if (e.kind === 'gap' && e.from === 'master') {
    const r = rec(e.link);
    r.gap ??= { pos: r.m2rBytes, bytes: e.bytes, reason: e.reason };
  }
}

/** The RDB payload and what follows it (without the `$EOF:` end mark): the first payload the framer finds. */
export function splitSnapshot(m2r: Buffer): { rdb: Buffer; rest: Buffer } | null {
  let split: { rdb: Buffer; rest: Buffer } | null = null;
  let bodyStart = 0;
  const framer = new RespFramer('replication', {
    rdbStart: (_size, _mark, _start, start) => (bodyStart = start),
    rdbEnd: (bodyEnd, end) => {
      split = { rdb: m2r.subarray(bodyStart, bodyEnd), rest: m2r.subarray(end) };
      framer.stop();
    },
    error: () => undefined,
  });
  framer.feed(m2r);
  return split;
}
