// The manifest of a Redis 7+ append-only directory (`appendonly.aof.manifest`): one line per file,
// `file <name> seq <n> type <b|h|i>` (b = base, h = history, i = incremental); names with spaces are quoted.

export interface AofManifestEntry {
  file: string;
  seq: number;
  type: 'base' | 'history' | 'incr';
}

const TYPES: Record<string, AofManifestEntry['type']> = { b: 'base', h: 'history', i: 'incr' };

export function parseAofManifest(text: string): { entries: AofManifestEntry[]; problems: string[] } {
  const entries: AofManifestEntry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const tokens = [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]));
    const fields: Record<string, string> = {};
    for (let k = 0; k + 1 < tokens.length; k += 2) fields[tokens[k]] = tokens[k + 1];
    const type = TYPES[fields.type];
    if (!fields.file || !type || !/^\d+$/.test(fields.seq ?? '')) {
      problems.push(`manifest line ${i + 1}: expected "file <name> seq <n> type <b|h|i>", found ${JSON.stringify(line)}`);
      return;
    }
    entries.push({ file: fields.file, seq: Number(fields.seq), type });
  });
  return { entries, problems };
}
