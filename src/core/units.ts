// Durations and sizes as users write them in flags and fault specs: 500ms, 5s; 65536, 64kb, 8mb.

export function parseDuration(v: string, fail: (why: string) => never): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/i.exec(v);
  if (!m) return fail(`${JSON.stringify(v)} is not a duration: write 500ms or 5s`);
  return Math.round(Number(m[1]) * (m[2]!.toLowerCase() === 's' ? 1000 : 1));
}

export function parseSize(v: string, fail: (why: string) => never): number {
  const m = /^(\d+(?:\.\d+)?)(b|kib|kb|k|mib|mb|m)?$/i.exec(v);
  if (!m) return fail(`${JSON.stringify(v)} is not a size: write 65536, 64kb or 1mb`);
  const unit = (m[2] ?? 'b').toLowerCase();
  return Math.round(Number(m[1]) * (unit.startsWith('m') ? 1 << 20 : unit.startsWith('k') ? 1024 : 1));
}
