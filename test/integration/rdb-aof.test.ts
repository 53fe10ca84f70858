// A hybrid AOF made by a real redis-server (appendonly yes, aof-use-rdb-preamble yes, BGREWRITEAOF, then
// more writes) is read by `inspect`: the RDB preamble's summary plus the commands written after it, both
// from the Redis 7 append-only directory and as one pre-7 style file (preamble + commands).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, waitFor, type RedisServer } from '../helpers/redis.js';
import { inspect } from '../../src/inspect/inspect.js';
import { humanReport } from '../../src/inspect/report.js';

const hasRedis = requireRedis();

describe.skipIf(!hasRedis)('hybrid AOF from a real redis-server', () => {
  let redis: RedisServer;
  let aofDir: string;

  beforeAll(async () => {
    // appendfsync always: each write is in the file before its reply (with everysec, a busy disk lets Redis
    // postpone the write up to 2 s, and the test read an incremental file without its last commands)
    redis = await startRedis({ args: ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'yes', '--appendfsync', 'always'] });
    const r = redis.cmd;
    for (let i = 0; i < 50; i++) await r('SET', `before:${i}`, `v${i}`);
    await r('HSET', 'before:hash', 'f', 'v');
    await r('SELECT', '2');
    await r('RPUSH', 'before:list', 'a', 'b');
    await r('SELECT', '0');
    await r('BGREWRITEAOF');
    await waitFor(async () => {
      const p = await redis.info('persistence');
      return p.aof_rewrite_in_progress === '0' && p.aof_rewrite_scheduled === '0' && p.aof_last_bgrewrite_status === 'ok';
    }, 20_000, 'BGREWRITEAOF to finish');
    // writes after the rewrite land in the incremental file
    await r('SET', 'after:1', 'x');
    await r('SET', 'after:2', 'y');
    await r('HSET', 'before:hash', 'g', 'w');
    await r('DEL', 'before:0');
    await r('INCR', 'after:counter');
    aofDir = path.join(redis.dir, 'appendonlydir');
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('the append-only directory: manifest, RDB base, incremental commands', async () => {
    const result = await inspect(aofDir, { topN: 3, tailLines: 5 });
    expect(result.kind).toBe('aof-dir');
    expect(result.problems).toEqual([]);
    expect(result.manifest!.map((e) => e.type).sort()).toEqual(['base', 'incr']);
    expect(result.rdb).toMatchObject({ complete: true, checksum: 'verified', keys: 52, aofBase: true, serverVersion: '7.0.15' });
    expect((result.rdb!.dbs as Record<string, { keys: number }>)['2'].keys).toBe(1);
    const c = result.commands!;
    expect(c.problems).toEqual([]);
    expect(c.byName).toEqual({ SELECT: 1, SET: 2, HSET: 1, DEL: 1, INCR: 1 });
    expect(c.last.at(-1)).toEqual(['INCR', 'after:counter']);
    const text = humanReport(result);
    expect(text).toContain('checksum verified');
    expect(text).toContain('INCR after:counter');
  });

  it('one file with an RDB preamble followed by commands', async () => {
    const files = readdirSync(aofDir);
    const base = readFileSync(path.join(aofDir, files.find((f) => f.includes('.base.'))!));
    const incr = readFileSync(path.join(aofDir, files.find((f) => f.includes('.incr.'))!));
    expect(base.subarray(0, 5).toString()).toBe('REDIS');
    const single = path.join(redis.dir, 'hybrid.aof');
    writeFileSync(single, Buffer.concat([base, incr]));
    const result = await inspect(single, { topN: 3, tailLines: 2 });
    expect(result.kind).toBe('aof');
    expect(result.rdb).toMatchObject({ keys: 52, complete: true, bytes: base.length });
    expect(result.commands!.count).toBe(6);
    expect(result.commands!.bytes).toBe(incr.length);
    expect(result.commands!.last).toEqual([['DEL', 'before:0'], ['INCR', 'after:counter']]);
  });

  it('a truncated command tail is reported with its offset', async () => {
    const files = readdirSync(aofDir);
    const incr = readFileSync(path.join(aofDir, files.find((f) => f.includes('.incr.'))!));
    const cut = path.join(redis.dir, 'cut.aof');
    writeFileSync(cut, incr.subarray(0, incr.length - 3));
    const result = await inspect(cut, { topN: 0, tailLines: 0 });
    expect(result.kind).toBe('aof');
    expect(result.commands!.count).toBe(5);
    // the problem points at the start of the cut command: the last "*" of the file
    expect(result.commands!.problems[0]).toMatchObject({ pos: incr.lastIndexOf('*'), expected: 'a complete command' });
  });
});
