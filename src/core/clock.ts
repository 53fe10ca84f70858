// Wire time: epoch milliseconds with sub-millisecond resolution, monotonic within the process.
export function wireNow(): number {
  return performance.timeOrigin + performance.now();
}
