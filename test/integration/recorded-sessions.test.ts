// The decoders on replication sessions this test records from the real servers it starts (no corpus needed):
// a disk-based full sync with a password followed by a partial resync, and a diskless full sync. Each decodes to
// what the servers report (INFO replication, DBSIZE) under every chunking of every direction; the capture writer,
// the AUTH mask, the RDB elider, the snapshot locator of replay --to and inspect agree with bytes cut out of the
// stream independently.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotLocator } from '../../src/replay/full-sync.js';
import { RdbBodyElider } from '../../src/capture/rdb-elider.js';
import { SecretMasker } from '../../src/capture/secret-masker.js';
import { openCapture } from '../../src/capture/reader.js';
import { openCaptureWriter } from '../../src/capture/writer.js';
import { inspect } from '../../src/inspect/inspect.js';
import type { ReplEvent, WireEvent } from '../../src/core/events.js';
import { createPipeline } from '../../src/decode/pipeline.js';
import { makeRdbSink } from '../../src/decode/rdb-sink.js';
import { RdbObserver } from '../../src/decode/rdb/rdb-observer.js';
import { sampledChunkings } from '../helpers/chunkings.js';
import { startRecorder } from '../helpers/record-session.js';
import { redisPool, requireRedis, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { chunkingFreeFacts, decodeSession } from '../helpers/session-decode.js';
import { sessionWireEvents, type Rechunk, type WireSession } from '../helpers/wire-corpus.js';

const hasRedis = requireRedis();
const PASSWORD = 'recorded-Pw-3f9a';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-recorded-'));
const pool = redisPool();

afterAll(async () => {
  await pool.stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

interface Recorded {
  session: WireSession;
  /** keys in the snapshot (DBSIZE of every db when the replica attached) */
  snapshotKeys: number;
}

/** Keys of several types, some with an expiry, in two dbs. */
async function load(master: RedisServer): Promise<number> {
  await master.cmd('DEBUG', 'POPULATE', 300, 'pop', 32);
  await master.cmd('HSET', 'h', 'f1', 'v1', 'f2', 'v2');
  await master.cmd('RPUSH', 'l', 'a', 'b', 'c');
  await master.cmd('ZADD', 'z', 1, 'one', 2, 'two');
  await master.cmd('SET', 'ttl', 'v', 'EX', 100_000);
  await master.cmd('SELECT', 2);
  await master.cmd('SADD', 's', 'x', 'y');
  await master.cmd('SELECT', 0);
  return 300 + 5;
}

async function writes(master: RedisServer, tag: string): Promise<void> {
  for (let i = 0; i < 20; i++) await master.cmd('SET', `${tag}:${i}`, 'v'.repeat(i * 10));
  await master.cmd('SELECT', 3);
  await master.cmd('MULTI');
  await master.cmd('INCR', `${tag}:counter`);
  await master.cmd('LPUSH', `${tag}:list`, 'x');
  await master.cmd('EXEC');
  await master.cmd('SELECT', 0);
}

/** Records until the replica is at the master offset and its last ACK (as decoded) says so. */
async function record(name: string, opts: { diskless: boolean; password?: string; partialResync: boolean }): Promise<Recorded> {
  const master = await pool.start({ password: opts.password, args: ['--repl-diskless-sync', opts.diskless ? 'yes' : 'no'] });
  const snapshotKeys = await load(master);
  const recorder = await startRecorder(name, master.port);
  const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(recorder.port), ...(opts.password ? ['--masterauth', opts.password] : [])] });
  const caughtUp = async (): Promise<WireSession> => {
    let session: WireSession | null = null;
    await waitFor(
      async () => {
        session = await recorder.session(master, [replica], opts.password !== undefined);
        const offset = Number(session.meta.master_info_replication.master_repl_offset);
        const acks = decodeSession(session).filter((e) => e.type === 'ack');
        return Number(session.meta.replica_info_replication[0]!.slave_repl_offset) === offset && acks.at(-1)?.offset === offset;
      },
      20_000,
      `${name}: the replica and its last ACK at the master offset`,
    );
    return session!;
  };
  await waitForLinkUp(replica);
  await writes(master, 'before');
  if (opts.partialResync) {
    await caughtUp();
    expect(await master.cmd('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
    await waitFor(async () => (await master.info('stats')).sync_partial_ok === '1', 20_000, `${name}: a partial resync`);
    await waitForLinkUp(replica);
    await writes(master, 'after');
  }
  const session = await caughtUp();
  await recorder.close();
  return { session, snapshotKeys };
}

const only = <T extends ReplEvent['type']>(events: ReplEvent[], type: T) => events.filter((e): e is Extract<ReplEvent, { type: T }> => e.type === type);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The replica's bytes with its AUTH password as the capture keeps it: `***`, not even its length. */
function withMaskedPassword(r2m: Buffer): string {
  return r2m.toString('latin1').replace(`$${PASSWORD.length}\r\n${PASSWORD}\r\n`, '$3\r\n***\r\n');
}

/** The RDB body in a master→replica stream, found by its `$` line alone (not by the code under test). */
function bodyOf(m2r: Buffer): { start: number; end: number } {
  const line = /\$(\d+)\r\n|\$EOF:([0-9a-f]{40})\r\n/.exec(m2r.toString('latin1'))!;
  const start = line.index + line[0].length;
  return { start, end: line[1] ? start + Number(line[1]) : m2r.indexOf(line[2]!, start) };
}

describe.skipIf(!hasRedis)('decoders on sessions recorded from real servers', () => {
  const sessions: Record<string, Recorded> = {};

  beforeAll(async () => {
    sessions.disk = await record('disk-auth-then-partial', { diskless: false, password: PASSWORD, partialResync: true });
    sessions.diskless = await record('diskless', { diskless: true, partialResync: false });
  }, 120_000);

  for (const kind of ['disk', 'diskless'] as const) {
    describe(kind, () => {
      it("decodes to the servers' own offsets, replid and key count, without a violation", () => {
        const { session, snapshotKeys } = sessions[kind]!;
        const mi = session.meta.master_info_replication;
        const events = decodeSession(session);
        expect(only(events, 'protocol-violation')).toEqual([]);
        const answers = [...only(events, 'fullresync'), ...only(events, 'continue')];
        expect(answers.map((e) => e.type)).toEqual(kind === 'disk' ? ['fullresync', 'continue'] : ['fullresync']);
        for (const a of answers) expect(a.replid).toBe(mi.master_replid);
        expect(only(events, 'command').at(-1)!.offset).toBe(Number(mi.master_repl_offset));
        expect(only(events, 'ack').at(-1)!.offset).toBe(Number(session.meta.replica_info_replication[0]!.slave_repl_offset));
        expect(only(events, 'rdb-start')).toMatchObject([{ mode: kind }]);
        // the RDB decoder, as the live command runs it
        const p = createPipeline({ rdbSink: makeRdbSink });
        const infos: ReplEvent[] = [];
        p.subscribe((e) => e.type === 'rdb-info' && infos.push(e));
        for (const w of sessionWireEvents(session)) p.wire(w);
        expect(only(infos, 'rdb-info').find((e) => e.phase === 'summary')?.info).toMatchObject({ keys: snapshotKeys, checksum: 'verified', complete: true });
      });

      it('gives the same facts under every chunking of every direction', () => {
        const { session } = sessions[kind]!;
        const expected = chunkingFreeFacts(decodeSession(session));
        let runs = 0;
        for (const c of session.conns) {
          for (const from of ['master', 'replica'] as const) {
            for (const ch of sampledChunkings(from === 'master' ? c.m2r : c.r2m, 150, 5)) {
              const rechunk: Rechunk = (conn, f, _b, rec) => (conn === c.conn && f === from ? ch.chunks : rec);
              const got = chunkingFreeFacts(decodeSession(session, rechunk));
              if (got.join('\n') !== expected.join('\n')) expect(got, `conn${c.conn} ${from} ${ch.name}`).toEqual(expected);
              runs++;
            }
          }
        }
        expect(runs).toBeGreaterThan(100);
      });

      it('the RDB elider leaves out exactly the body under every chunking, and the snapshot locator finds the same bytes', () => {
        const m2r = sessions[kind]!.session.conns[0]!.m2r;
        const { start, end } = bodyOf(m2r);
        const body = m2r.subarray(start, end);
        const locator = new SnapshotLocator();
        locator.feed(m2r);
        expect(locator.found).toMatchObject({ rdbStart: start, rdbEnd: end });
        const kept = Buffer.concat([m2r.subarray(0, start), m2r.subarray(end)]);
        for (const { name, chunks } of sampledChunkings(m2r, 150, 5)) {
          const elider = new RdbBodyElider();
          const keep: Buffer[] = [];
          const elided: unknown[] = [];
          for (const chunk of chunks) for (const piece of elider.feed(chunk)) (piece.kind === 'keep' ? keep.push(piece.chunk) : elided.push(piece));
          expect(elided, name).toEqual([{ kind: 'elided', bytes: body.length, sha256: sha256(body), complete: true }]);
          expect(Buffer.concat(keep).equals(kept), name).toBe(true);
        }
      });

      it('a capture of it reads back byte for byte, and inspect finds the snapshot the RDB decoder finds in the stream', async () => {
        const { session, snapshotKeys } = sessions[kind]!;
        const file = path.join(tmp, `${kind}.rspy`);
        const w = openCaptureWriter({ path: file, upstream: 'recorded', captureRdb: 'full', captureSecrets: false });
        for (const e of sessionWireEvents(session)) w.wire(e);
        await w.close();
        const read: WireEvent[] = [];
        for await (const e of (await openCapture(file)).events()) read.push(e);
        for (const c of session.conns) {
          const bytes = (from: 'master' | 'replica') => Buffer.concat(read.flatMap((e) => (e.kind === 'bytes' && e.link === c.conn && e.from === from ? [e.chunk] : [])));
          expect(bytes('master').equals(c.m2r)).toBe(true);
          const masked = kind === 'disk' ? Buffer.from(withMaskedPassword(c.r2m), 'latin1') : c.r2m;
          expect(bytes('replica').equals(masked)).toBe(true);
        }
        if (kind === 'disk') expect(readFileSync(file).includes(PASSWORD)).toBe(false);
        const result = await inspect(file, { topN: 3, tailLines: 3, link: '1' });
        const m2r = session.conns[0]!.m2r;
        const { start, end } = bodyOf(m2r);
        const oracle = new RdbObserver({ topN: 3 });
        oracle.feed(m2r.subarray(start, end), () => {});
        oracle.end(() => {});
        const { link: _link, ...summary } = result.rdb!;
        expect(summary).toEqual(oracle.info());
        expect(summary).toMatchObject({ keys: snapshotKeys, checksum: 'verified' });
      });
    });
  }

  it("the capture's mask replaces exactly the password the replica sent, under every chunking", () => {
    const r2m = sessions.disk!.session.conns[0]!.r2m;
    expect(r2m.includes(PASSWORD)).toBe(true);
    const expected = withMaskedPassword(r2m);
    for (const { name, chunks } of sampledChunkings(r2m, 150, 5)) {
      const masker = new SecretMasker();
      const out = [...chunks.map((chunk) => masker.mask(chunk)), masker.end()];
      expect(Buffer.concat(out).toString('latin1'), name).toBe(expected);
    }
  });
});
