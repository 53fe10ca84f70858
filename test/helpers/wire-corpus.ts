// Loads the recorded replication sessions of the corpus (see corpus.ts) and turns them into WireEvents, either with
// the recorded chunking or re-chunked. A re-chunked piece is delivered at the time of its last byte (it cannot have
// been read before that byte arrived). A piece never spans a turn of the conversation (a point where the other
// direction spoke in between): the proxy taps what it reads before the peer can answer it, so a reply can never
// be decoded before the request that caused it.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { From, WireEvent } from '../../src/core/events.js';
import { corpusPath } from './corpus.js';

const wireCorpusDir = corpusPath('wire');

export interface RecordedConn {
  conn: number;
  r2m: Buffer;
  m2r: Buffer;
  /** recorded reads in order: time (ms since recorder start), direction, length */
  reads: { t: number; from: From; len: number }[];
}

export interface WireSession {
  name: string;
  conns: RecordedConn[];
  meta: {
    master_info_replication: Record<string, string>;
    replica_info_replication: Record<string, string>[];
    password_set: boolean;
  };
}

export function wireSessionNames(): string[] {
  return readdirSync(wireCorpusDir).filter((n) => existsSync(path.join(wireCorpusDir, n, 'meta.json'))).sort();
}

export function loadWireSession(name: string): WireSession {
  const dir = path.join(wireCorpusDir, name);
  const conns: RecordedConn[] = [];
  for (let conn = 1; existsSync(path.join(dir, `conn${conn}.m2r.bin`)); conn++) {
    const reads = readFileSync(path.join(dir, `conn${conn}.chunks.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { t: number; dir: string; len: number })
      .map((r) => ({ t: r.t, from: (r.dir === 'm2r' ? 'master' : 'replica') as From, len: r.len }));
    conns.push({ conn, r2m: readFileSync(path.join(dir, `conn${conn}.r2m.bin`)), m2r: readFileSync(path.join(dir, `conn${conn}.m2r.bin`)), reads });
  }
  return { name, conns, meta: JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) };
}

/** Re-chunking of one direction of one connection: returns the chunks (covering all bytes in order). */
export type Rechunk = (conn: number, from: From, bytes: Buffer, recorded: Buffer[]) => Buffer[];

export const recorded: Rechunk = (_c, _f, _b, rec) => rec;

/**
 * WireEvents of a session: link N = connN; `open` at the first read, then bytes, `close` at the end.
 * The time of a re-chunked piece is the recorded time of its last byte; ties keep recorded order.
 */
export function sessionWireEvents(s: WireSession, rechunk: Rechunk = recorded): WireEvent[] {
  interface Piece { t: number; seq: number; link: number; from: From; chunk: Buffer }
  const pieces: Piece[] = [];

  const opens: WireEvent[] = [];
  let endT = 0;
  for (const c of s.conns) {
    for (const from of ['replica', 'master'] as From[]) {
      const bytes = from === 'master' ? c.m2r : c.r2m;
      // byte index → (time, global sequence) of the recorded read that carried it
      const ends: { end: number; t: number; seq: number }[] = [];
      const rec: Buffer[] = [];
      let pos = 0;
      c.reads.forEach((r, k) => {
        if (r.from !== from) return;
        rec.push(bytes.subarray(pos, pos + r.len));
        pos += r.len;
        ends.push({ end: pos, t: r.t, seq: c.conn * 1e6 + k });
      });
      if (pos !== bytes.length) throw new Error(`${s.name} conn${c.conn} ${from}: reads cover ${pos} of ${bytes.length} bytes`);
      const turns = turnStarts(c, from);
      let off = 0;
      let e = 0;
      for (const whole of rechunk(c.conn, from, bytes, rec)) {
        for (const chunk of splitAt(whole, off, turns)) {
          off += chunk.length;
          while (ends[e].end < off) e++;
          pieces.push({ t: ends[e].t, seq: ends[e].seq, link: c.conn, from, chunk });
        }
      }
    }
    const t0 = c.reads[0]?.t ?? 0;
    opens.push({ kind: 'open', link: c.conn, at: t0 - 0.5, replica: `127.0.0.1:${40000 + c.conn}`, master: '127.0.0.1:6379' });
    endT = Math.max(endT, c.reads[c.reads.length - 1]?.t ?? 0);
  }
  pieces.sort((a, b) => a.t - b.t || a.seq - b.seq);
  const events: WireEvent[] = [...opens];
  for (const p of pieces) events.push({ kind: 'bytes', link: p.link, at: p.t, from: p.from, chunk: p.chunk });
  for (const c of s.conns) events.push({ kind: 'close', link: c.conn, at: endT + 1, by: 'proxy', reason: 'end of recording' });
  return events;
}

/** Byte positions in one direction where that direction speaks again after the other one did. */
function turnStarts(c: RecordedConn, from: From): Set<number> {
  const starts = new Set<number>();
  let pos = 0;
  let otherSpoke = false;
  for (const r of c.reads) {
    if (r.from !== from) {
      otherSpoke = true;
      continue;
    }
    if (otherSpoke && pos > 0) starts.add(pos);
    otherSpoke = false;
    pos += r.len;
  }
  return starts;
}

function splitAt(chunk: Buffer, start: number, cuts: Set<number>): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let i = 1; i < chunk.length; i++) {
    if (cuts.has(start + i)) {
      out.push(chunk.subarray(from, i));
      from = i;
    }
  }
  out.push(chunk.subarray(from));
  return out;
}
