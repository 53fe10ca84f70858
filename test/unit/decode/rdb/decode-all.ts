// Runs the RdbObserver over a chunking and records everything it reported, for comparisons.
import { RdbObserver, type KeyInfo } from '../../../../src/decode/rdb/rdb-observer.js';

export interface Transcript {
  reports: [string, Record<string, unknown>][];
  keys: KeyInfo[];
  /** summary after end(), with trailing bytes */
  final: Record<string, unknown>;
}

export function decodeChunks(chunks: Buffer[], topN = 5, verifyChecksum = true): Transcript {
  const keys: KeyInfo[] = [];
  const reports: [string, Record<string, unknown>][] = [];
  const o = new RdbObserver({ topN, onKey: (k) => keys.push(k), verifyChecksum });
  const emit = (phase: string, info: Record<string, unknown>): void => {
    reports.push([phase, info]);
  };
  for (const c of chunks) o.feed(c, emit);
  o.end(emit);
  return { reports, keys, final: o.info() };
}
