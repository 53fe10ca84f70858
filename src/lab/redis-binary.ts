// Which redis-server the lab runs: --redis-server, else REDIS_SERVER_BIN, else the first on PATH.
import { accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ReplSpyError } from '../core/errors.js';

export function findRedisServer(explicit?: string): string {
  if (explicit !== undefined) {
    if (isExecutable(explicit)) return explicit;
    throw new ReplSpyError('RSPY_NO_REDIS', `--redis-server ${explicit} is not an executable file`, {
      hint: 'give the path of a redis-server binary, or leave the flag out to use the one on PATH',
    });
  }
  const candidates = [process.env.REDIS_SERVER_BIN, ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'redis-server'))];
  for (const candidate of candidates) if (candidate && isExecutable(candidate)) return candidate;
  throw new ReplSpyError('RSPY_NO_REDIS', 'redis-server was not found on PATH', {
    hint: 'the lab runs real Redis servers: install the redis-server package (Debian/Ubuntu: sudo apt-get install redis-server) or pass --redis-server /path/to/redis-server',
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
