// A test's real tool (Prometheus, Chromium, ...): when it is missing, the tests fail loudly under CI and skip with
// a loud message locally.
import { isCI } from './redis.js';

/** `missing`: why the tool cannot be used (null: it can). Returns whether the tests can run. */
export function requireTool(missing: string | null, tests: string): boolean {
  if (missing === null) return true;
  if (isCI()) throw new Error(`${missing}. CI is set, so ${tests} fail instead of being skipped.`);
  console.warn(`\n!!!!! SKIPPING ${tests}: ${missing} !!!!!\n`);
  return false;
}
