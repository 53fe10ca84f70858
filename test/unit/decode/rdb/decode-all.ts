// Runs the RdbObserver over a chunking and records everything it reported, for comparisons.
import { RdbObserver, type KeyInfo } from '../../../../src/decode/rdb/rdb-observer.js';
import type { RdbReport } from '../../../../src/core/rdb-info.js';

export interface Transcript {
  reports: [string, Record<string, unknown>][];
  keys: KeyInfo[];
  /** summary after end(), with trailing bytes */
  final: Record<string, unknown>;
}

export function decodeChunks(chunks: Buffer[], topN = 5, verifyChecksum = true): Transcript {
  const keys: KeyInfo[] = [];
  const reports: [string, RdbReport['info']][] = [];
  const o = new RdbObserver({ topN, onKey: (k) => keys.push(k), verifyChecksum });
  const emit = (r: RdbReport): void => {
    reports.push([r.phase, r.info]);
  };
  for (const c of chunks) o.feed(c, emit);
  o.end(emit);
  return { reports, keys, final: o.info() };
}
