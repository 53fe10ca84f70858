// What a snapshot holds, without loading it into a server: an RDB file, an AOF file (with or without an RDB
// preamble), a Redis 7+ append-only directory (manifest, base file, incremental files) or a capture (the
// snapshot of one of its links), read as a stream.
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CAPTURE_MAGIC } from '../capture/format.js';
import { openCapture } from '../capture/reader.js';
import { AofCommandReader, type AofCommand, type AofProblem } from '../decode/rdb/aof-commands.js';
import { parseAofManifest, type AofManifestEntry } from '../decode/rdb/aof-manifest.js';
import { RdbObserver, type KeyInfo } from '../decode/rdb/rdb-observer.js';
import { extractFullSync } from '../replay/full-sync.js';

export type Kind = 'rdb' | 'aof' | 'aof-dir' | 'capture' | 'unknown';

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

export interface Inspection {
  file: string;
  kind: Kind;
  rdb: Record<string, unknown> | null;
  commands: CommandTail | null;
  manifest?: AofManifestEntry[];
  problems: string[];
}

const READ_CHUNK = 1 << 20;
const MAX_ARG_CHARS = 64;

export interface InspectOptions {
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
  const tail = newTail();
  const aof = new AofCommandReader();
  for await (const { part, chunk } of sync.chunks()) {
    if (part === 'stream') {
      aof.feed(chunk, (c) => addCommand(tail, c, opts.tailLines));
      continue;
    }
    observer.feed(chunk, ignore);
    await opts.afterChunk?.();
  }
  observer.end(ignore);
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

