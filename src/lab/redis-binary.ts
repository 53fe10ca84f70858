// Which redis-server (and redis-sentinel) the lab runs: the flag, else the environment variable, else the first on
// PATH.
import { accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ReplSpyError } from '../core/errors.js';

interface Binary {
  name: 'redis-server' | 'redis-sentinel';
  flag: string;
  env: string;
  /** what it is for, in the message when it is missing */
  role: string;
}

const SERVER: Binary = { name: 'redis-server', flag: '--redis-server', env: 'REDIS_SERVER_BIN', role: 'the lab runs real Redis servers' };
const SENTINEL: Binary = { name: 'redis-sentinel', flag: '--redis-sentinel', env: 'REDIS_SENTINEL_BIN', role: '--sentinels runs real Sentinel processes' };

export function findRedisServer(explicit?: string): string {
  return findBinary(SERVER, explicit);
}

export function findRedisSentinel(explicit?: string): string {
  return findBinary(SENTINEL, explicit);
}

function findBinary(b: Binary, explicit?: string): string {
  if (explicit !== undefined) {
    if (isExecutable(explicit)) return explicit;
    throw new ReplSpyError('RSPY_NO_REDIS', `${b.flag} ${explicit} is not an executable file`, {
      hint: `give the path of a ${b.name} binary, or leave the flag out to use the one on PATH`,
    });
  }
  const candidates = [process.env[b.env], ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, b.name))];
  for (const candidate of candidates) if (candidate && isExecutable(candidate)) return candidate;
  throw new ReplSpyError('RSPY_NO_REDIS', `${b.name} was not found on PATH`, {
    hint: `${b.role}: install the ${b.name} package (Debian/Ubuntu: sudo apt-get install ${b.name}) or pass ${b.flag} /path/to/${b.name}`,
  });
}

/** "7.0.15", or null when the binary does not say. */
export function redisVersion(bin: string): string | null {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 5_000 });
    return /v=(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
