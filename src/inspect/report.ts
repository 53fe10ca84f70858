// The human summary of an inspection, and every problem in it as one line with its byte offset.
import type { Inspection, Kind } from './inspect.js';

export function humanReport(r: Inspection): string {
  const out: string[] = [];
  const line = (label: string, text: string): void => {
    out.push(`${label.padEnd(10)}${text}`);
  };
  line('file', `${r.file} (${kindName(r.kind)})`);
  for (const p of r.problems) line('problem', p);
  if (r.manifest) {
    line('manifest', r.manifest.map((e) => `${e.file} (${e.type} #${e.seq})`).join(', ') || '(empty)');
  }
  if (r.rdb) rdbLines(r.rdb, line);
  if (r.commands) {
    const t = r.commands;
    const names = Object.entries(t.byName).sort((a, b) => b[1] - a[1]);
    line('commands', `${t.count} (${t.bytes} bytes)${names.length ? `: ${names.map(([n, c]) => `${n} ${c}`).join(', ')}` : ''}`);
    if (t.annotations) line('', `${t.annotations} annotation line(s)`);
    if (t.last.length) {
      line('last', '');
      for (const argv of t.last) out.push(`  ${argv.join(' ')}`);
    }
    for (const p of t.problems) line('error', `${p.file} at byte ${p.pos}: ${p.message} (expected ${p.expected})`);
  }
  return `${out.join('\n')}\n`;
}

function kindName(kind: Kind): string {
  return { rdb: 'RDB file', aof: 'append-only file', 'aof-dir': 'append-only directory', capture: 'capture', unknown: 'unknown type' }[kind];
}

/** Every problem of an inspection as one line, with the byte offset where there is one. */
export function problemLines(r: Inspection): string[] {
  const lines = [...r.problems];
  const e = r.rdb?.error as { code: string; pos: number; expected: string; message: string } | undefined;
  if (e) lines.push(`byte ${e.pos}: ${e.code}: ${e.message} (expected ${e.expected})`);
  for (const p of r.commands?.problems ?? []) lines.push(`${p.file} at byte ${p.pos}: ${p.message} (expected ${p.expected})`);
  return lines;
}

function rdbLines(s: Record<string, unknown>, line: (label: string, text: string) => void): void {
  const aux = (s.aux ?? {}) as Record<string, string>;
  if (s.link !== undefined) line('link', String(s.link));
  if (s.magic !== null) {
    const by = s.serverVersion ? `, written by ${aux['valkey-ver'] ? 'Valkey' : 'Redis'} ${s.serverVersion}` : '';
    line('rdb', `${s.magic} version ${s.version} (${s.flavor})${by}, ${s.bytes} bytes, checksum ${s.checksum ?? 'not reached'}`);
  }
  for (const w of (s.warnings as string[] | undefined) ?? []) line('warning', w);
  const auxText = Object.entries(aux)
    .map(([k, v]) => (k === 'ctime' ? `${k}=${v} (${new Date(Number(v) * 1000).toISOString()})` : `${k}=${v}`))
    .join(' ');
  if (auxText) line('aux', auxText);
  if (s.replId) line('repl', `id ${s.replId} offset ${s.replOffset}${s.aofBase ? ', AOF base' : ''}`);
  const dbs = s.dbs as Record<string, { keys: number; expires: number; types: Record<string, number> }>;
  line('keys', `${s.keys} (${s.keysWithExpiry} with expiry, ${s.emptyKeys} empty) in ${Object.keys(dbs).length} db(s)`);
  for (const [db, d] of Object.entries(dbs)) {
    const types = Object.entries(d.types).map(([t, n]) => `${t} ${n}`).join(', ');
    line(`  db ${db}`, `${d.keys} keys, ${d.expires} with expiry: ${types}`);
  }
  const largest = s.largestKeys as { db: number; key: string; type: string; encoding: string; bytes: number }[];
  if (largest.length) {
    line('largest', '');
    largest.forEach((k, i) => line('', `${String(i + 1).padStart(2)}. db ${k.db} ${JSON.stringify(k.key)} ${k.type}/${k.encoding} ${k.bytes} bytes`));
  }
  const functions = s.functions as { library: string | null; engine: string | null }[];
  if (functions.length) line('functions', functions.map((f) => `${f.library ?? '?'} (${f.engine ?? '?'})`).join(', '));
  const modules = s.modules as string[];
  if (modules.length) line('modules', modules.join(', '));
  if (s.trailingBytes) line('after rdb', `${s.trailingBytes} bytes`);
  const e = s.error as { code: string; pos: number; expected: string; message: string } | undefined;
  if (e) line('error', `${e.code} at byte ${e.pos}: ${e.message} (expected ${e.expected})`);
}
