// The key-position table against the server's own COMMAND GETKEYS on a plain redis-server: for each sample argv the
// table finds the keys the server finds, and every command the server says has keys has a sample here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPositions } from '../../src/core/command-keys.js';
import { redisPool, requireRedis, type RedisServer } from '../helpers/redis.js';

const hasRedis = requireRedis();

/** Commands whose keys COMMAND GETKEYS does not report: shard channels (routed by their slot like keys). Their
 *  positions come from COMMAND INFO's first/last/step instead. */
const CHANNEL_COMMANDS = new Set(['SPUBLISH', 'SSUBSCRIBE', 'SUNSUBSCRIBE']);

const SAMPLES: string[][] = [
  // one key
  ...`APPEND DECR DECRBY GET GETDEL GETEX GETRANGE GETSET INCR INCRBY INCRBYFLOAT PSETEX SET SETEX SETNX SETRANGE
    STRLEN SUBSTR BITCOUNT BITFIELD BITFIELD_RO BITPOS GETBIT SETBIT DUMP EXPIRE EXPIREAT EXPIRETIME MOVE PERSIST
    PEXPIRE PEXPIREAT PEXPIRETIME PTTL RESTORE RESTORE-ASKING TTL TYPE HDEL HEXISTS HGET HGETALL HINCRBY
    HINCRBYFLOAT HKEYS HLEN HMGET HMSET HRANDFIELD HSCAN HSET HSETNX HSTRLEN HVALS LINDEX LINSERT LLEN LPOP LPOS LPUSH
    LPUSHX LRANGE LREM LSET LTRIM RPOP RPUSH RPUSHX SADD SCARD SISMEMBER SMEMBERS SMISMEMBER SPOP SRANDMEMBER SREM
    SSCAN ZADD ZCARD ZCOUNT ZINCRBY ZLEXCOUNT ZMSCORE ZPOPMAX ZPOPMIN ZRANDMEMBER ZRANGE ZRANGEBYLEX ZRANGEBYSCORE
    ZRANK ZREM ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREVRANGE ZREVRANGEBYLEX ZREVRANGEBYSCORE ZREVRANK
    ZSCAN ZSCORE XACK XADD XAUTOCLAIM XCLAIM XDEL XLEN XPENDING XRANGE XREVRANGE XSETID XTRIM GEOADD GEODIST GEOHASH
    GEOPOS GEORADIUS_RO GEORADIUSBYMEMBER_RO GEOSEARCH PFADD SORT_RO`
    .split(/\s+/)
    .filter(Boolean)
    .map((name) => [name, '{user1}.a', 'x', 'y', 'z', 'w', 'v', 'u']),
  ['set', 'lower-case-name', 'v'],
  ['SET', '', 'empty key'],
  // a source and a destination
  ...'BLMOVE BRPOPLPUSH COPY GEOSEARCHSTORE LCS LMOVE RENAME RENAMENX RPOPLPUSH SMOVE ZRANGESTORE'.split(' ').map((name) => [name, 'src', 'dst', 'a', 'b', 'c', 'd', 'e']),
  // every argument
  ...'DEL EXISTS MGET PFCOUNT PFMERGE SDIFF SDIFFSTORE SINTER SINTERSTORE SUNION SUNIONSTORE TOUCH UNLINK WATCH'.split(' ').map((name) => [name, 'a', '{a}b', 'c']),
  ['DEL', 'only'],
  ['MSET', 'a', '1', 'b', '2', 'c', '3'],
  ['MSETNX', '{t}1', 'x', '{t}2', 'y'],
  ['BLPOP', 'a', 'b', '0'],
  ['BRPOP', 'a', '1.5'],
  ['BZPOPMAX', 'a', 'b', 'c', '0'],
  ['BZPOPMIN', 'a', '0'],
  ['BITOP', 'AND', 'dest', 'a', 'b'],
  ['PFDEBUG', 'GETREG', 'hll'],
  // numkeys
  ['EVAL', 'return 1', '0'],
  ['EVAL', 'return 1', '2', 'k1', 'k2', 'arg'],
  ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '1', 'k1', 'a1', 'a2'],
  ['EVAL_RO', 'return 1', '1', 'k1'],
  ['EVALSHA_RO', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '3', 'a', 'b', 'c'],
  ['FCALL', 'fn', '2', 'a', 'b', 'x'],
  ['FCALL_RO', 'fn', '0', 'x'],
  ['FCALL_RO', 'fn', '1', 'k', 'x'],
  ['SPUBLISH', 'ch', 'msg'],
  ['SSUBSCRIBE', 'a', '{a}b'],
  ['SUNSUBSCRIBE', 'a'],
  ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '3'],
  ['ZINTERCARD', '1', 'a'],
  ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
  ['ZINTER', '3', 'a', 'b', 'c', 'WITHSCORES'],
  ['ZDIFF', '2', 'a', 'b'],
  ['LMPOP', '2', 'a', 'b', 'LEFT', 'COUNT', '2'],
  ['ZMPOP', '1', 'a', 'MIN'],
  ['BLMPOP', '0', '2', 'a', 'b', 'RIGHT'],
  ['BZMPOP', '1.5', '1', 'a', 'MAX', 'COUNT', '3'],
  ['ZUNIONSTORE', 'dest', '2', 'a', 'b', 'WEIGHTS', '1', '2', 'AGGREGATE', 'MAX'],
  ['ZINTERSTORE', 'dest', '1', 'a'],
  ['ZDIFFSTORE', 'dest', '3', 'a', 'b', 'c'],
  // STREAMS, STORE, KEYS
  ['XREAD', 'STREAMS', 'a', '0'],
  ['XREAD', 'COUNT', '10', 'BLOCK', '0', 'STREAMS', 'a', 'b', '0', '$'],
  ['xread', 'streams', 'a', 'b', 'c', '0'],
  ['XREAD', 'COUNT', '1', 'STREAMS', 'a', 'b', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'NOACK', 'STREAMS', 's1', 's2', '>', '>'],
  ['SORT', 'k'],
  ['SORT', 'k', 'BY', 'w_*', 'LIMIT', '0', '10', 'GET', '#', 'GET', 'o_*', 'ALPHA', 'STORE', 'dest'],
  ['SORT', 'k', 'GET', 'STORE', 'notakey'],
  ['SORT', 'k', 'STORE', 'd1', 'STORE', 'd2'],
  ['SORT', 'k', 'STORE'],
  ['GEORADIUS', 'k', '15', '37', '200', 'km'],
  ['GEORADIUS', 'k', '15', '37', '200', 'km', 'WITHDIST', 'STORE', 'dest'],
  ['GEORADIUSBYMEMBER', 'k', 'm', '100', 'm', 'STOREDIST', 'dest'],
  ['MIGRATE', 'host', '6379', 'key', '0', '5000'],
  ['MIGRATE', 'host', '6379', '', '0', '5000', 'COPY', 'REPLACE', 'KEYS', 'a', 'b'],
  ['MIGRATE', 'host', '6379', '', '0', '5000', 'AUTH', 'KEYS', 'KEYS', 'x'],
  ['MIGRATE', 'host', '6379', '', '0', '5000', 'AUTH2', 'u', 'KEYS', 'KEYS', 'y', 'z'],
  // subcommands
  ['OBJECT', 'ENCODING', 'k'],
  ['object', 'freq', 'k'],
  ['OBJECT', 'IDLETIME', 'k'],
  ['OBJECT', 'REFCOUNT', 'k'],
  ['MEMORY', 'USAGE', 'k', 'SAMPLES', '5'],
  ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'],
  ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c'],
  ['XGROUP', 'DELCONSUMER', 's', 'g', 'c'],
  ['XGROUP', 'DESTROY', 's', 'g'],
  ['XGROUP', 'SETID', 's', 'g', '0'],
  ['XINFO', 'CONSUMERS', 's', 'g'],
  ['XINFO', 'GROUPS', 's'],
  ['XINFO', 'STREAM', 's', 'FULL'],
  // no keys
  ['PING'],
  ['SELECT', '1'],
  ['MULTI'],
  ['EXEC'],
  ['FLUSHALL', 'ASYNC'],
  ['SWAPDB', '0', '1'],
  ['PUBLISH', 'ch', 'msg'],
  ['FUNCTION', 'LOAD', '#!lua name=x\nredis.register_function("f", function() return 1 end)'],
  ['OBJECT', 'HELP'],
  ['XINFO', 'HELP'],
  ['CLUSTER', 'KEYSLOT', 'k'],
];

/** The positions COMMAND INFO's first/last/step name for `argc` arguments (a negative last counts from the end). */
function infoRange([, , , first, last, step]: [string, number, string[], number, number, number, ...unknown[]], argc: number): number[] {
  const out: number[] = [];
  for (let i = first; first > 0 && i <= (last < 0 ? argc + last : last); i += step) out.push(i);
  return out;
}

/** COMMAND GETKEYS's keys, as argv positions; [] when it says the command has none. */
async function serverKeys(server: RedisServer, argv: string[]): Promise<number[]> {
  if (argv.length < 2) return []; // no argument, no key (7.0's COMMAND GETKEYS refuses a bare name)
  try {
    const keys = (await server.cmd('COMMAND', 'GETKEYS', ...argv)) as string[];
    // map back to positions: the n-th occurrence of a key name is the n-th position holding it
    const used = new Set<number>();
    return keys.map((k) => {
      const at = argv.findIndex((a, i) => i > 0 && a === k && !used.has(i) && (used.add(i), true));
      return at;
    });
  } catch (err) {
    if (/Invalid number of arguments|wrong number of arguments/.test((err as Error).message)) throw new Error(`COMMAND GETKEYS ${argv.join(' ')}: ${(err as Error).message}`);
    if (/no key arguments|Invalid arguments|Invalid command/.test((err as Error).message)) return [];
    throw err;
  }
}

describe.skipIf(!hasRedis)('key positions of commands: the table finds what COMMAND GETKEYS finds', () => {
  const pool = redisPool();
  let server: RedisServer;
  beforeAll(async () => {
    server = await pool.start();
  });
  afterAll(() => pool.stopAll());

  it('for every sample argv', async () => {
    // a command of fixed arity gets that many arguments of its generic sample (the server checks arity first)
    type Info = [name: string, arity: number, flags: string[], first: number, last: number, step: number, ...rest: unknown[]];
    const infos = new Map(((await server.cmd('COMMAND')) as unknown as Info[]).map((c) => [c[0].toUpperCase(), c]));
    const wrong: string[] = [];
    for (const sample of SAMPLES) {
      const info = infos.get(sample[0]!.toUpperCase());
      const argv = info && info[1] > 0 ? sample.slice(0, info[1]) : sample;
      const ours = keyPositions(argv.map((a) => Buffer.from(a)));
      const theirs = CHANNEL_COMMANDS.has(argv[0]!.toUpperCase()) ? infoRange(info!, argv.length) : await serverKeys(server, argv);
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) wrong.push(`${argv.join(' ')}: table ${JSON.stringify(ours)}, server ${JSON.stringify(theirs)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('every command and subcommand the server gives keys has a sample that finds them', async () => {
    type Info = [name: string, arity: number, flags: string[], first: number, last: number, step: number, ...rest: unknown[]];
    const infos = (await server.cmd('COMMAND')) as unknown as Info[];
    const keyed: string[] = [];
    for (const info of infos) {
      const subs = (info[9] ?? []) as Info[];
      for (const c of [info, ...subs]) {
        if (c[3] > 0 || c[2].includes('movablekeys')) keyed.push(c[0].toUpperCase().replace('|', ' '));
      }
    }
    expect(keyed.length).toBeGreaterThan(150);
    const sampled = new Set(SAMPLES.filter((argv) => keyPositions(argv.map((a) => Buffer.from(a))).length > 0).flatMap((argv) => [argv[0]!.toUpperCase(), `${argv[0]} ${argv[1]}`.toUpperCase()]));
    expect(keyed.filter((name) => !sampled.has(name))).toEqual([]);
  });
});
