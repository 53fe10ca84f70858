// What the lab's master holds and does: N keys of mixed types (small and large encodings, some with a TTL),
// then a light, steady write load over two dbs, so the RDB and the command stream both have something to show.
import type { LabClient } from './redis-process.js';

type Command = (string | number)[];

/** The commands that create key number i. */
export function keyCommands(i: number): Command[] {
  const big = i % 50 === 0; // every 50th container is large enough for its non-compact encoding
  const items = (n: number, f: (k: number) => (string | number)[]): (string | number)[] => Array.from({ length: n }, (_, k) => f(k)).flat();
  const commands: Command[] = [];
  switch (i % 7) {
    case 0:
      commands.push(['SET', `str:${i}`, `value-${i}-${'x'.repeat(i % 40)}`]);
      break;
    case 1:
      commands.push(['SET', `num:${i}`, i * 7]);
      break;
    case 2:
      commands.push(['HSET', `hash:${i}`, ...items(big ? 200 : 5, (k) => [`field${k}`, `v${k}`])]);
      break;
    case 3:
      commands.push(['RPUSH', `list:${i}`, ...items(big ? 500 : 10, (k) => [`item-${k}`])]);
      break;
    case 4:
      commands.push(['SADD', `set:${i}`, ...items(big ? 300 : 8, (k) => [i % 2 === 0 ? k : `member-${k}`])]);
      break;
    case 5:
      commands.push(['ZADD', `zset:${i}`, ...items(big ? 300 : 8, (k) => [k * 1.5, `m${k}`])]);
      break;
    case 6:
      for (let k = 0; k < 3; k++) commands.push(['XADD', `stream:${i}`, '*', 'event', `e${k}`, 'n', k]);
      break;
  }
  if (i % 10 === 9) commands.push(['PEXPIRE', commands[0]![1]!, 3_600_000 + i]);
  return commands;
}

/** Loads `count` keys into db 0, pipelined in batches. */
export async function loadKeys(client: LabClient, count: number): Promise<void> {
  const BATCH = 500;
  for (let start = 0; start < count; start += BATCH) {
    const replies: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      for (const command of keyCommands(i)) replies.push(client.send(command));
    }
    await Promise.all(replies);
  }
}

/** The n-th operation of the write load (a rotation over the common write commands and two dbs). */
export function loadOperation(n: number): Command[] {
  switch (n % 8) {
    case 0:
      return [['INCR', 'load:counter']];
    case 1:
      return [['SET', `load:str:${n % 100}`, `at-${n}`]];
    case 2:
      return [['HSET', 'load:hash', `f${n % 50}`, n]];
    case 3:
      return [['LPUSH', 'load:list', `item-${n}`], ['LTRIM', 'load:list', 0, 99]];
    case 4:
      return [['ZINCRBY', 'load:zset', 1, `m${n % 20}`]];
    case 5:
      return [['XADD', 'load:stream', 'MAXLEN', '~', 1000, '*', 'n', n]];
    case 6:
      return [['SET', `load:ttl:${n % 10}`, n, 'PX', 30_000]];
    default:
      return [['SELECT', 1], ['SET', `db1:str:${n % 100}`, n], ['SELECT', 0]];
  }
}

export interface WriteLoad {
  stop(): void;
}

/** `opsPerSec` operations per second on `client` (its own connection: the load SELECTs dbs). */
export function startWriteLoad(client: LabClient, opsPerSec: number, onError: (err: unknown) => void): WriteLoad {
  if (opsPerSec <= 0) return { stop() {} };
  let n = 0;
  let failed = false;
  const timer = setInterval(() => {
    for (const command of loadOperation(n++)) {
      client.send(command).catch((err) => {
        if (!failed) onError(err); // report once: a stopped master fails every later write the same way
        failed = true;
      });
    }
  }, 1000 / opsPerSec);
  return {
    stop() {
      clearInterval(timer);
      client.close();
    },
  };
}
