// A real redis-server SAVEs data with every type in every encoding it uses (small and large values, ints,
// LZF-compressible strings, big collections, PLAIN list nodes, streams with consumer groups, expiries,
// several dbs); the decoder, under many chunkings, agrees with what the server reports for every key:
// DBSIZE, TYPE, OBJECT ENCODING, PTTL and the length commands.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampledChunkings } from '../helpers/chunkings.js';
import { requireRedis, startRedis, type RedisServer } from '../helpers/redis.js';
import { RdbObserver, type KeyInfo } from '../../src/decode/rdb/rdb-observer.js';
import type { RdbSummary } from '../../src/core/rdb-info.js';
import { inspect } from '../../src/inspect/inspect.js';

const hasRedis = requireRedis();
const BINARY_KEY = Buffer.from([0xff, 0xfe, 0x00, 0x41]);

function decode(chunks: Buffer[]): { keys: KeyInfo[]; summary: RdbSummary; phases: string[] } {
  const keys: KeyInfo[] = [];
  const phases: string[] = [];
  const o = new RdbObserver({ topN: 5, onKey: (k) => keys.push(k) });
  for (const c of chunks) o.feed(c, (r) => phases.push(r.phase));
  o.end((r) => phases.push(r.phase));
  return { keys, summary: o.info(), phases };
}

const LENGTH_COMMAND: Record<string, string> = { string: 'STRLEN', list: 'LLEN', set: 'SCARD', zset: 'ZCARD', hash: 'HLEN', stream: 'XLEN' };

describe.skipIf(!hasRedis)('RDB written by a real redis-server', () => {
  let redis: RedisServer;
  let rdb: Buffer;
  const expected = new Map<string, { type: string; encoding: string; pttl: number; length: number; db: number }>();

  beforeAll(async () => {
    redis = await startRedis();
    const r = redis.cmd;
    // db 0: strings in every encoding
    await r('SET', 'str:int', '12345');
    await r('SET', 'str:int-neg', '-987654321');
    await r('SET', 'str:int64-max', '9223372036854775807');
    await r('SET', 'str:int64-overflow', '9223372036854775808');
    await r('SET', 'str:leading-zero', '007');
    await r('SET', 'str:embstr', 'hello world');
    await r('SET', 'str:raw', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 251)));
    await r('SET', 'str:lzf', 'abc'.repeat(400));
    await r('SET', 'str:big', 'x'.repeat(300_000));
    await r('SET', BINARY_KEY, 'binary key');
    await r('SET', 'str:expiring', 'soon', 'PX', '3600000');
    // lists: one listpack node, many nodes, and PLAIN nodes (elements above the packed threshold)
    await r('RPUSH', 'list:small', 'a', 'b', '3');
    await r('RPUSH', 'list:big', ...Array.from({ length: 3000 }, (_, i) => `element-${i}`));
    await r('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1000');
    await r('RPUSH', 'list:plain', 'small', 'p'.repeat(5000), 'q'.repeat(3000));
    // sets: intset (16/32/64-bit), hashtable
    await r('SADD', 'set:int16', '1', '2', '300');
    await r('SADD', 'set:int32', '1', '70000');
    await r('SADD', 'set:int64', '1', '5000000000');
    await r('SADD', 'set:ht', ...Array.from({ length: 600 }, (_, i) => `member-${i}`));
    await r('SADD', 'set:ht-small', 'not-a-number');
    // zsets: listpack, skiplist
    await r('ZADD', 'zset:small', '1', 'a', '2.5', 'b', '-3', 'c');
    await r('ZADD', 'zset:big', ...Array.from({ length: 300 }, (_, i) => [String(i / 3), `m${i}`]).flat());
    await r('PEXPIRE', 'zset:big', '7200000');
    // hashes: listpack, hashtable (many fields, and a long value)
    await r('HSET', 'hash:small', 'f1', 'v1', 'f2', '2');
    await r('HSET', 'hash:big', ...Array.from({ length: 700 }, (_, i) => [`field-${i}`, `value-${i}`]).flat());
    await r('HSET', 'hash:long-value', 'f', 'v'.repeat(100));
    await r('EXPIRE', 'hash:small', '100000');
    // streams: entries over several nodes, consumer groups with pending entries
    for (let i = 0; i < 250; i++) await r('XADD', 'stream:events', '*', 'n', String(i), 'payload', `p${i}`);
    await r('XGROUP', 'CREATE', 'stream:events', 'g1', '0');
    await r('XGROUP', 'CREATE', 'stream:events', 'g2', '$');
    await r('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '10', 'STREAMS', 'stream:events', '>');
    await r('XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '5', 'STREAMS', 'stream:events', '>');
    await r('XADD', 'stream:empty-ish', '*', 'a', '1');
    await r('XDEL', 'stream:empty-ish', ((await r('XADD', 'stream:empty-ish', '*', 'b', '2')) as string));
    // other dbs
    await r('SELECT', '1');
    await r('SET', 'db1:key', 'v');
    await r('SET', 'db1:exp', 'v', 'EX', '5000');
    await r('SELECT', '3');
    await r('DEBUG', 'POPULATE', '2000', 'pop', '20');
    await r('SELECT', '0');
    await r('SAVE');
    rdb = readFileSync(path.join(redis.dir, 'dump.rdb'));
    // the oracle: what the server says about every key
    for (const db of [0, 1, 3]) {
      await r('SELECT', String(db));
      let cursor = '0';
      do {
        const [next, batch] = (await r('SCAN', cursor, 'COUNT', '1000')) as [string, string[]];
        cursor = next;
        for (const name of batch) {
          // the helper's client reads replies as UTF-8: the binary key is asked for by its bytes
          const key = name.includes('\uFFFD') ? BINARY_KEY : name;
          const type = (await r('TYPE', key)) as string;
          const encoding = (await r('OBJECT', 'ENCODING', key)) as string;
          const pttl = (await r('PTTL', key)) as number;
          const length = (await r(LENGTH_COMMAND[type], key)) as number;
          expected.set(`${db}/${Buffer.from(key).toString('hex')}`, { type, encoding, pttl, length, db });
        }
      } while (cursor !== '0');
    }
    await r('SELECT', '0');
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('every key: type, encoding, expiry and length as the server reports them', async () => {
    const savedAt = Date.now();
    const { keys, summary, phases } = decode([rdb]);
    expect(phases).toEqual(['header', 'summary']);
    expect(summary).toMatchObject({ magic: 'REDIS', version: 10, checksum: 'verified', complete: true, serverVersion: '7.0.15' });
    expect(keys.length).toBe(expected.size);
    for (const db of [0, 1, 3]) {
      await redis.cmd('SELECT', String(db));
      expect((summary.dbs as Record<string, { keys: number }>)[db].keys).toBe(await redis.cmd('DBSIZE'));
    }
    await redis.cmd('SELECT', '0');
    const types = new Set<string>();
    for (const k of keys) {
      const id = `${k.db}/${k.keyHex ?? Buffer.from(k.key).toString('hex')}`;
      const want = expected.get(id);
      expect(want, `key ${k.key} in db ${k.db}`).toBeDefined();
      expect({ key: k.key, type: k.type, encoding: k.encoding, length: k.length }).toEqual({ key: k.key, type: want!.type, encoding: want!.encoding, length: want!.length });
      if (want!.pttl < 0) expect(k.expiry, k.key).toBeNull();
      else expect(Math.abs(k.expiry! - (savedAt + want!.pttl)), k.key).toBeLessThan(5_000);
      types.add(`${k.type}/${k.encoding}`);
    }
    // the data set really covers every encoding Redis 7.0 writes
    expect([...types].sort()).toEqual(
      ['hash/hashtable', 'hash/listpack', 'list/quicklist', 'set/hashtable', 'set/intset', 'stream/stream', 'string/embstr', 'string/int', 'string/raw', 'zset/listpack', 'zset/skiplist'].sort(),
    );
    expect(summary.keysWithExpiry).toBe([...expected.values()].filter((e) => e.pttl >= 0).length);
    const biggest = keys.reduce((a, b) => (b.size > a.size ? b : a));
    expect((summary.largestKeys as { key: string; bytes: number }[])[0]).toMatchObject({ key: biggest.key, bytes: biggest.size });
  });

  it('decodes the same under many chunkings', () => {
    const whole = decode([rdb]);
    for (const c of sampledChunkings(rdb, 40, 5)) {
      const t = decode(c.chunks);
      expect(t.phases, c.name).toEqual(whole.phases);
      expect(t.keys, c.name).toEqual(whole.keys);
      expect(t.summary, c.name).toEqual(whole.summary);
    }
  });

  it('inspect --keys gives the same keys from the file', async () => {
    const keys: KeyInfo[] = [];
    const result = await inspect(path.join(redis.dir, 'dump.rdb'), { topN: 3, tailLines: 0, onKey: (k) => keys.push(k) });
    expect(result.kind).toBe('rdb');
    expect(keys).toEqual(decode([rdb]).keys);
  });
});
