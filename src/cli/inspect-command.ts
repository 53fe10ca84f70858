// `repl-spy inspect FILE`: what a snapshot holds, without loading it into a server. FILE may be an RDB file,
// an AOF file (with or without an RDB preamble), a Redis 7+ append-only directory (manifest, base file,
// incremental files) or a capture (the snapshot of one of its links). Human summary by default, `--json`
// for the summary as one JSON object, `--keys` for one JSON line per key.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CAPTURE_MAGIC } from '../capture/format.js';
import { extractFullSync } from '../replay/full-sync.js';
import { openCapture } from '../capture/reader.js';
import { AofCommandReader, type AofCommand, type AofProblem } from '../decode/rdb/aof-commands.js';
import { parseAofManifest, type AofManifestEntry } from '../decode/rdb/aof-manifest.js';
import { RdbObserver, type KeyInfo } from '../decode/rdb/rdb-observer.js';
import { failAndExit } from './fail.js';
import { subcommandFlags } from './subcommand-flags.js';

interface InspectFlags {
  json?: boolean;
  keys?: boolean;
  top: string;
  commands: string;
  link?: string;
  debug?: boolean;
}

type Kind = 'rdb' | 'aof' | 'aof-dir' | 'capture' | 'unknown';

/** Commands found after a preamble or in incremental files. */
interface CommandTail {
  count: number;
  bytes: number;
  byName: Record<string, number>;
  /** the last commands, arguments shortened */
  last: string[][];
  annotations: number;
  problems: (AofProblem & { file: string })[];
}

interface Inspection {
  file: string;
  kind: Kind;
  rdb: Record<string, unknown> | null;
  commands: CommandTail | null;
  manifest?: AofManifestEntry[];
  problems: string[];
}

const READ_CHUNK = 1 << 20;
const MAX_ARG_CHARS = 64;

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect <file>')
    .description('summarise an RDB file, an AOF file or append-only directory, or the snapshot in a capture')
    .option('--json', 'print the summary as one JSON object')
    .option('--keys', 'print one JSON line per key (db, key, type, encoding, size, expiry) instead of the summary')
    .option('--top <n>', 'how many of the largest keys to list', '10')
    .option('--commands <n>', 'how many of the last AOF commands to show', '10')
    .option('--link <n>', 'for a capture: the link whose snapshot to inspect (default: the furthest full sync)')
    .option('--debug', 'stack traces')
    .action(async (file: string, _flags: InspectFlags, cmd: Command) => {
      // --json and --debug are also options of the root (proxy) command: read them wherever they were given
      const flags = subcommandFlags<InspectFlags>(cmd);
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); // the reader (head, jq) is gone
        failAndExit(err, flags.debug);
      });
      try {
        const keyLines: string[] = [];
        const onKey = flags.keys ? (k: KeyInfo) => keyLines.push(JSON.stringify(k)) : undefined;
        // key lines are written after each chunk read, waiting for stdout when it is slow (a pipe into jq)
        const afterChunk = async (): Promise<void> => {
          if (keyLines.length === 0) return;
          const ok = process.stdout.write(`${keyLines.join('\n')}\n`);
          keyLines.length = 0;
          if (!ok) await once(process.stdout, 'drain');
        };
        const opts = { topN: Number(flags.top), tailLines: Number(flags.commands), link: flags.link, onKey, afterChunk };
        const result = await inspect(file, opts);
        await afterChunk();
        if (!flags.keys) process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : humanReport(result));
        // whatever went to stdout (or not, with --keys), every problem reaches stderr, with its byte offset
        const problems = problemLines(result);
        for (const p of problems) process.stderr.write(`repl-spy: ${result.file}: ${p}\n`);
        if (problems.length > 0) process.exitCode = 1;
      } catch (err) {
        failAndExit(err, flags.debug);
      }
    });
}

interface InspectOptions {
  topN: number;
  tailLines: number;
  link?: string;
  onKey?: (k: KeyInfo) => void;
  /** called after each chunk of a file was decoded */
  afterChunk?: () => Promise<void>;
}

export async function inspect(file: string, opts: InspectOptions): Promise<Inspection> {
  const st = await stat(file);
  if (st.isDirectory()) return inspectAofDir(file, opts);
  const head = await firstBytes(file, 9);
  if (head.startsWith(CAPTURE_MAGIC.toString('latin1'))) return inspectCapture(file, opts);
  const tail = newTail();
  if (head.startsWith('*') || head.startsWith('#')) {
    await readCommands(file, 0, tail, opts.tailLines);
    return { file, kind: 'aof', rdb: null, commands: tail, problems: [] };
  }
  const rdb = await readRdbFile(file, opts, tail);
  const hasTail = tail.count > 0 || tail.problems.length > 0 || tail.annotations > 0;
  if ((rdb.error as { code?: string } | undefined)?.code === 'RDB_BAD_MAGIC' && !hasTail) {
    const problem = `byte 0: unknown file type: not an RDB file, an append-only file, an append-only directory or a capture (it starts with ${JSON.stringify(head)})`;
    return { file, kind: 'unknown', rdb: null, commands: null, problems: [problem] };
  }
  return { file, kind: hasTail ? 'aof' : 'rdb', rdb, commands: hasTail ? tail : null, problems: [] };
}

/** Streams the file through the RDB decoder; commands after a complete RDB go to the AOF command reader. */
async function readRdbFile(file: string, opts: InspectOptions, tail: CommandTail): Promise<Record<string, unknown>> {
  const observer = new RdbObserver({ topN: opts.topN, onKey: opts.onKey });
  const aof = new AofCommandReader();
  let after: 'unknown' | 'commands' | 'other' = 'unknown';
  let pos = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
    observer.feed(chunk, ignore); // once the RDB is complete it only counts the bytes after it
    const end = observer.rdbBytes;
    const from = end === null ? chunk.length : Math.max(0, end - pos);
    if (from < chunk.length) {
      const rest = chunk.subarray(from);
      if (after === 'unknown') after = rest[0] === 0x2a || rest[0] === 0x23 ? 'commands' : 'other';
      if (after === 'commands') aof.feed(rest, (c) => addCommand(tail, c, opts.tailLines));
    }
    pos += chunk.length;
    await opts.afterChunk?.();
  }
  observer.end(ignore);
  if (after === 'commands') finishTail(tail, aof, path.basename(file));
  return observer.info();
}

async function readCommands(file: string, from: number, tail: CommandTail, tailLines: number): Promise<void> {
  const aof = new AofCommandReader();
  for await (const chunk of createReadStream(file, { start: from, highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
    aof.feed(chunk, (c) => addCommand(tail, c, tailLines));
  }
  finishTail(tail, aof, path.basename(file));
}

async function inspectAofDir(dir: string, opts: InspectOptions): Promise<Inspection> {
  const manifestName = (await readdir(dir)).find((f) => f.endsWith('.manifest'));
  if (!manifestName) throw new Error(`${dir} is a directory without an append-only manifest (*.manifest)`);
  const { entries, problems } = parseAofManifest(await readFile(path.join(dir, manifestName), 'utf8'));
  const base = entries.find((e) => e.type === 'base');
  const tail = newTail();
  let rdb: Record<string, unknown> | null = null;
  if (base) {
    const baseFile = path.join(dir, base.file);
    const head = await firstBytes(baseFile, 9);
    if (head.startsWith('*') || head.startsWith('#')) await readCommands(baseFile, 0, tail, opts.tailLines);
    else rdb = await readRdbFile(baseFile, opts, tail);
  } else {
    problems.push(`${manifestName} names no base file`);
  }
  for (const incr of entries.filter((e) => e.type === 'incr').sort((a, b) => a.seq - b.seq)) {
    await readCommands(path.join(dir, incr.file), 0, tail, opts.tailLines);
  }
  return { file: dir, kind: 'aof-dir', rdb, commands: tail, manifest: entries, problems };
}

async function inspectCapture(file: string, opts: InspectOptions): Promise<Inspection> {
  const capture = await openCapture(file);
  const link = opts.link === undefined ? undefined : Number(opts.link);
  const { sync, problems } = await extractFullSync(capture, link);
  if (!sync) return { file, kind: 'capture', rdb: null, commands: null, problems };
  const observer = new RdbObserver({ topN: opts.topN, onKey: opts.onKey });
  for (let p = 0; p < sync.rdb.length; p += READ_CHUNK) {
    observer.feed(sync.rdb.subarray(p, p + READ_CHUNK), ignore);
    await opts.afterChunk?.();
  }
  observer.end(ignore);
  const tail = newTail();
  const aof = new AofCommandReader();
  aof.feed(sync.stream, (c) => addCommand(tail, c, opts.tailLines));
  finishTail(tail, aof, `link ${sync.link} stream`);
  return { file, kind: 'capture', rdb: { link: sync.link, ...observer.info() }, commands: tail, problems };
}

function ignore(): void {}

async function firstBytes(file: string, n: number): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.toString('latin1', 0, bytesRead);
  } finally {
    await fh.close();
  }
}

function newTail(): CommandTail {
  return { count: 0, bytes: 0, byName: {}, last: [], annotations: 0, problems: [] };
}

function addCommand(tail: CommandTail, { argv, argBytes, bytes }: AofCommand, keep: number): void {
  tail.count++;
  tail.bytes += bytes;
  const name = argv.length ? argv[0].toString('latin1', 0, 32).toUpperCase() : '(empty)';
  tail.byName[name] = (tail.byName[name] ?? 0) + 1;
  if (keep > 0) {
    tail.last.push(argv.map((a, i) => shortArg(a, argBytes?.[i] ?? a.length)));
    if (tail.last.length > keep) tail.last.shift();
  }
}

function finishTail(tail: CommandTail, aof: AofCommandReader, file: string): void {
  aof.end();
  tail.annotations += aof.annotations;
  if (aof.problem) tail.problems.push({ file, ...aof.problem });
}

function shortArg(b: Buffer, size: number): string {
  const text = b.toString('utf8', 0, Math.min(b.length, MAX_ARG_CHARS));
  const printable = /^[\x20-\x7e]*$/.test(text) ? text : JSON.stringify(text).slice(1, -1);
  return size > MAX_ARG_CHARS ? `${printable}...(${size} bytes)` : printable;
}

// ------------------------------------------------------------------ human report

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
function problemLines(r: Inspection): string[] {
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
