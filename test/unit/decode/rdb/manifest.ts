// Reads the corpus's rdb/MANIFEST.md: what an independent walker found in each corpus file.
import fs from 'node:fs';
import path from 'node:path';
import { corpusPath } from '../../../helpers/corpus.js';

export const corpusDir = corpusPath('rdb');

export interface ManifestEntry {
  file: string; // "<dir>/<name>"
  bytes: number;
  magic: string;
  version: number;
  /** RDB type name (as the manifest spells it) -> count */
  types: Record<string, number>;
  opcodes: Record<string, number>;
  aux: string[];
  serverVersion: string | null;
  status: 'verified' | 'zero' | 'ok' | 'stopped';
  stoppedAt: number | null;
  stopReason: string | null;
  trailingBytes: number;
}

function counts(list: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (list.trim() === '-') return out;
  for (const item of list.split(', ')) {
    const m = /^(.+) x(\d+)$/.exec(item.trim());
    if (!m) throw new Error(`manifest: cannot read "${item}"`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export function readManifest(): ManifestEntry[] {
  const text = fs.readFileSync(path.join(corpusDir, 'MANIFEST.md'), 'utf8');
  const entries: ManifestEntry[] = [];
  let dir: string | null = null;
  for (const line of text.split('\n')) {
    const section = /^## `([^`]+)\/`/.exec(line);
    if (section) dir = section[1];
    const row = /^\| `([^`]+)` \(`[^`]+`\) \| (\d+) \| `([^`]+)` \| (\d+) \| (.*?) \| `[^|]*` \| `[0-9a-f]+` \|/.exec(line);
    if (!row || !dir) continue;
    const content = row[5];
    const types = /types: ([^;]+);/.exec(content)![1];
    const opcodes = /opcodes: ([^;]+);/.exec(content)![1];
    const aux = /aux: ([^;(]+?)(?: \(|;)/.exec(content)![1].trim();
    const ver = /\((?:redis|valkey)-ver=([^)]+)\)/.exec(content);
    const stopped = /stopped at byte (\d+): ([^|]+)$/.exec(content);
    const trailing = /(\d+) trailing bytes/.exec(content);
    entries.push({
      file: `${dir}/${row[1]}`,
      bytes: Number(row[2]),
      magic: row[3],
      version: Number(row[4]),
      types: counts(types),
      opcodes: counts(opcodes),
      aux: aux === '-' ? [] : aux.split(','),
      serverVersion: ver ? ver[1] : null,
      status: stopped ? 'stopped' : /crc64 verified/.test(content) ? 'verified' : /crc=0/.test(content) ? 'zero' : 'ok',
      stoppedAt: stopped ? Number(stopped[1]) : null,
      stopReason: stopped ? stopped[2].trim() : null,
      trailingBytes: trailing ? Number(trailing[1]) : 0,
    });
  }
  return entries;
}

/** Manifest type names -> the decoder's RDB type names. */
export const MANIFEST_TYPES: Record<string, string> = {
  string: 'STRING',
  'list(linked)': 'LIST',
  'set(ht)': 'SET',
  'zset(ascii-score)': 'ZSET',
  'hash(ht)': 'HASH',
  'zset2(binary-score)': 'ZSET_2',
  module2: 'MODULE_2',
  'hash-zipmap': 'HASH_ZIPMAP',
  'list-ziplist': 'LIST_ZIPLIST',
  'set-intset': 'SET_INTSET',
  'zset-ziplist': 'ZSET_ZIPLIST',
  'hash-ziplist': 'HASH_ZIPLIST',
  'list-quicklist(ziplist)': 'LIST_QUICKLIST',
  'stream-listpacks': 'STREAM_LISTPACKS',
  'hash-listpack': 'HASH_LISTPACK',
  'zset-listpack': 'ZSET_LISTPACK',
  'list-quicklist2': 'LIST_QUICKLIST_2',
  'stream-listpacks2': 'STREAM_LISTPACKS_2',
  'set-listpack': 'SET_LISTPACK',
  'stream-listpacks3': 'STREAM_LISTPACKS_3',
  'hash-metadata(redis)': 'HASH_METADATA',
  'hash-listpack-ex(redis)': 'HASH_LISTPACK_EX',
  'hash2-with-field-ttl(valkey)': 'HASH_2',
  'array(redis)': 'ARRAY',
};
