// Reading a Prometheus exposition text in the tests of --metrics.

/** The value of one series of an exposition text. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
