// Where a command's keys are in its argv, as Redis finds them (COMMAND INFO's first/last/step, and the commands
// whose keys move with their arguments: numkeys, STREAMS, STORE, KEYS). Covers every command Redis 7 writes to
// a replication stream and the common reads; a command not listed has no keys or is not known: either way no
// key is found for it (no guess). Pure, and allocation-free on the hot path: keys are reported to a sink.
// The oracle is the server's own COMMAND GETKEYS (test/integration/command-keys-oracle.test.ts).

import { argIs } from './arg-is.js';
import { ByteNames } from './byte-names.js';

/** Receives the key positions of one command: argv[first..last] by step, last included. */
export interface KeySink {
  range(first: number, last: number, step: number): void;
}

/** argv positions first..last by step; a negative last counts from the end (-1: the last argument). */
type Range = readonly [first: number, last: number, step: number];
/** Keys that depend on the arguments (COMMAND INFO's movablekeys). */
type Finder = (argv: readonly Buffer[], sink: KeySink) => void;
/** Keys after a subcommand (OBJECT ENCODING key): by its upper-case name; another subcommand has none. */
interface Subcommands {
  sub: ReadonlyMap<string, Range>;
}
type KeySpec = Range | Finder | Subcommands;

const ONE: Range = [1, 1, 1];
const TWO: Range = [1, 2, 1];
const ALL: Range = [1, -1, 1];
const SECOND: Range = [2, 2, 1];

/** The count argument of a keynum command, when it is a plain decimal; -1 otherwise. */
function count(arg: Buffer | undefined): number {
  if (arg === undefined || arg.length === 0 || arg.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < arg.length; i++) {
    const d = arg[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** `numkeys` at argv[at], the keys right after it (EVAL script numkeys k..., LMPOP numkeys k...). Redis refuses a
 *  numkeys beyond the arguments: no keys then. */
function keysAfterCount(at: number, atLeastOne: boolean): Finder {
  return (argv, sink) => {
    const n = count(argv[at]);
    if (n < (atLeastOne ? 1 : 0) || at + n >= argv.length) return;
    if (n > 0) sink.range(at + 1, at + n, 1);
  };
}

/** ZUNIONSTORE dest numkeys k...: the destination, then the counted keys. */
const storeThenCounted: Finder = (argv, sink) => {
  const n = count(argv[2]);
  if (n < 1 || 2 + n >= argv.length) return;
  sink.range(1, 1, 1);
  sink.range(3, 2 + n, 1);
};

/** XREAD/XREADGROUP ... STREAMS k1 k2 id1 id2: half of what follows the first STREAMS. */
const streams: Finder = (argv, sink) => {
  for (let i = 1; i < argv.length; i++) {
    if (!argIs(argv[i], 'STREAMS')) continue;
    const n = Math.floor((argv.length - i - 1) / 2);
    if (n > 0) sink.range(i + 1, i + n, 1);
    return;
  }
};

/** SORT key [BY p] [LIMIT o c] [GET p ...] [STORE dest]: the key, and the last STORE's destination (sortGetKeys). */
const sort: Finder = (argv, sink) => {
  if (argv.length < 2) return;
  sink.range(1, 1, 1);
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (argIs(a, 'LIMIT')) i += 2;
    else if (argIs(a, 'GET') || argIs(a, 'BY')) i += 1;
    else if (argIs(a, 'STORE') && i + 1 < argv.length) store = ++i;
  }
  if (store > 0) sink.range(store, store, 1);
};

/** GEORADIUS[BYMEMBER] key ... [STORE dest] [STOREDIST dest]: the key, and the last destination. */
const georadius: Finder = (argv, sink) => {
  if (argv.length < 2) return;
  sink.range(1, 1, 1);
  let store = -1;
  for (let i = 5; i + 1 < argv.length; i++) if (argIs(argv[i], 'STORE') || argIs(argv[i], 'STOREDIST')) store = ++i;
  if (store > 0) sink.range(store, store, 1);
};

/** MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS k ...] (migrateGetKeys). */
const migrate: Finder = (argv, sink) => {
  if (argv.length < 4) return;
  for (let i = 6; i < argv.length; i++) {
    const a = argv[i];
    if (argIs(a, 'KEYS')) {
      if (argv[3]!.length > 0) return; // Redis refuses KEYS with a key
      if (i + 1 < argv.length) sink.range(i + 1, argv.length - 1, 1);
      return;
    }
    if (argIs(a, 'AUTH')) i += 1;
    else if (argIs(a, 'AUTH2')) i += 2;
  }
  sink.range(3, 3, 1);
};

const SPECS = new Map<string, KeySpec>();
function add(spec: KeySpec, names: string): void {
  for (const name of names.split(/\s+/)) if (name) SPECS.set(name, spec);
}
/** Subcommands whose key is the argument after them. */
function keyAfter(subcommands: string): Subcommands {
  return { sub: new Map(subcommands.split(' ').map((name) => [name, SECOND])) };
}

// one key, the first argument (strings, hashes, lists, sets, sorted sets, streams, geo, HyperLogLog, generic)
add(
  ONE,
  `APPEND DECR DECRBY GET GETDEL GETEX GETRANGE GETSET INCR INCRBY INCRBYFLOAT PSETEX SET SETEX SETNX SETRANGE STRLEN SUBSTR
   BITCOUNT BITFIELD BITFIELD_RO BITPOS GETBIT SETBIT
   DUMP EXPIRE EXPIREAT EXPIRETIME MOVE PERSIST PEXPIRE PEXPIREAT PEXPIRETIME PTTL RESTORE RESTORE-ASKING TTL TYPE
   HDEL HEXISTS HGET HGETALL HINCRBY HINCRBYFLOAT HKEYS HLEN HMGET HMSET HRANDFIELD HSCAN HSET HSETNX HSTRLEN HVALS
   HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HPERSIST HTTL HPTTL HEXPIRETIME HPEXPIRETIME HGETDEL HGETEX HSETEX
   LINDEX LINSERT LLEN LPOP LPOS LPUSH LPUSHX LRANGE LREM LSET LTRIM RPOP RPUSH RPUSHX
   SADD SCARD SISMEMBER SMEMBERS SMISMEMBER SPOP SRANDMEMBER SREM SSCAN
   ZADD ZCARD ZCOUNT ZINCRBY ZLEXCOUNT ZMSCORE ZPOPMAX ZPOPMIN ZRANDMEMBER ZRANGE ZRANGEBYLEX ZRANGEBYSCORE ZRANK ZREM
   ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREVRANGE ZREVRANGEBYLEX ZREVRANGEBYSCORE ZREVRANK ZSCAN ZSCORE
   XACK XADD XAUTOCLAIM XCLAIM XDEL XLEN XPENDING XRANGE XREVRANGE XSETID XTRIM XDELEX XACKDEL
   GEOADD GEODIST GEOHASH GEOPOS GEORADIUS_RO GEORADIUSBYMEMBER_RO GEOSEARCH PFADD
   VADD VREM VSETATTR VCARD VDIM VEMB VGETATTR VINFO VLINKS VRANDMEMBER VSIM VISMEMBER SORT_RO`,
);
// a source and a destination
add(TWO, 'BLMOVE BRPOPLPUSH COPY GEOSEARCHSTORE LCS LMOVE RENAME RENAMENX RPOPLPUSH SMOVE ZRANGESTORE');
// every argument a key
add(ALL, 'DEL EXISTS MGET PFCOUNT PFMERGE SDIFF SDIFFSTORE SINTER SINTERSTORE SUNION SUNIONSTORE TOUCH UNLINK WATCH');
// sharded pub/sub: a shard channel is routed by its slot like a key (COMMAND GETKEYS calls it no key)
add(ONE, 'SPUBLISH');
add(ALL, 'SSUBSCRIBE SUNSUBSCRIBE');
add([1, -1, 2], 'MSET MSETNX');
add([1, -2, 1], 'BLPOP BRPOP BZPOPMAX BZPOPMIN'); // the timeout last
add([2, -1, 1], 'BITOP'); // BITOP op dest src...
add(SECOND, 'PFDEBUG');
add(keysAfterCount(2, false), 'EVAL EVALSHA EVAL_RO EVALSHA_RO FCALL FCALL_RO');
add(keysAfterCount(1, true), 'SINTERCARD ZINTERCARD ZUNION ZINTER ZDIFF LMPOP ZMPOP');
add(keysAfterCount(2, true), 'BLMPOP BZMPOP'); // the timeout before numkeys
add(storeThenCounted, 'ZUNIONSTORE ZINTERSTORE ZDIFFSTORE');
add(streams, 'XREAD XREADGROUP');
add(sort, 'SORT');
add(georadius, 'GEORADIUS GEORADIUSBYMEMBER');
add(migrate, 'MIGRATE');
add(keyAfter('ENCODING FREQ IDLETIME REFCOUNT'), 'OBJECT');
add(keyAfter('USAGE'), 'MEMORY');
add(keyAfter('CREATE CREATECONSUMER DELCONSUMER DESTROY SETID'), 'XGROUP');
add(keyAfter('CONSUMERS GROUPS STREAM'), 'XINFO');

const specOf = new ByteNames<KeySpec | null>((name) => SPECS.get(name) ?? null, true);

/** Reports the key positions of `argv` to `sink`; false when the command is not in the table (no keys known). */
export function findKeys(argv: readonly Buffer[], sink: KeySink): boolean {
  const name = argv[0];
  if (name === undefined || name.length > 24) return false;
  const spec = specOf.get(name);
  if (spec === null) return false;
  if (typeof spec === 'function') spec(argv, sink);
  else if ('sub' in spec) {
    const sub = argv[1];
    const range = sub !== undefined && sub.length <= 16 ? spec.sub.get(sub.toString('latin1').toUpperCase()) : undefined;
    if (range) legacyRange(argv.length, range, sink);
  } else legacyRange(argv.length, spec, sink);
  return true;
}

function legacyRange(argc: number, [first, last, step]: Range, sink: KeySink): void {
  const end = Math.min(last < 0 ? argc + last : last, argc - 1);
  if (first <= end) sink.range(first, end, step);
}

/** The key positions of a command, in argv order (for tests and tools; the hot path uses a sink). */
export function keyPositions(argv: readonly Buffer[]): number[] {
  const out: number[] = [];
  findKeys(argv, {
    range(first, last, step) {
      for (let i = first; i <= last; i += step) out.push(i);
    },
  });
  return out;
}
