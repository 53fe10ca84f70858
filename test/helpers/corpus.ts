// The test corpus (recorded replication sessions in wire/, RDB files in rdb/) is not part of the repository: it
// is ../shared/corpus next to the checkout, or wherever REPL_SPY_CORPUS points. Tests that read it run when it is
// there; without it they fail under CI, and otherwise skip with one line saying what and why. Everything else is
// tested on streams recorded from the real servers the tests start.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isCI } from './redis.js';
import { repoRoot } from './repo-root.js';

export const corpusRoot = process.env.REPL_SPY_CORPUS ? path.resolve(process.env.REPL_SPY_CORPUS) : path.resolve(repoRoot, '../shared/corpus');

/** A path in the corpus, e.g. corpusPath('wire', 'r70-diskless', 'conn1.m2r.bin'). */
export function corpusPath(...parts: string[]): string {
  return path.join(corpusRoot, ...parts);
}

/** True when the corpus part (`wire` or `rdb`) is there. Without it: throws under CI (the test file fails), else
 *  prints one line naming the tests it skips and returns false, for `describe.skipIf` / `it.skipIf`. */
export function requireCorpus(part: 'wire' | 'rdb', tests: string): boolean {
  const dir = corpusPath(part);
  if (existsSync(dir)) return true;
  const why = `the test corpus is missing (${dir}; set REPL_SPY_CORPUS to its directory)`;
  if (isCI()) throw new Error(`${why}. CI is set, so the corpus tests fail instead of being skipped: ${tests}.`);
  console.warn(`SKIPPED (no corpus): ${tests}: ${why}`);
  return false;
}
