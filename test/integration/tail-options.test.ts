// `repl-spy tail`'s credentials, filters, capture and line output against a real master with a password and an
// ACL user: what it needs is asked for by name, its own AUTH never reaches the capture, and the capture replays
// to exactly the commands it showed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { redisPool, requireRedis, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import { setIndexes, startTailCli, waitCaughtUp } from '../helpers/tail.js';

const hasRedis = requireRedis();
const PASSWORD = 'tail-secret-7f3a';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-tail-options-'));

describe.skipIf(!hasRedis)('repl-spy tail: credentials, filters, capture, lines', () => {
  const pool = redisPool();
  let master: RedisServer;

  beforeAll(async () => {
    master = await pool.start({ password: PASSWORD });
    await master.cmd('ACL', 'SETUSER', 'follower', 'on', '>follower-pw', '+psync', '+replconf', '+info', '+ping');
    await master.cmd('ACL', 'SETUSER', 'reader', 'on', '>reader-pw', '+info', '+ping');
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(master.port), '--masterauth', PASSWORD] });
    await waitForLinkUp(replica); // the master's backlog
  });
  afterAll(async () => {
    await pool.stopAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('-a, REDISCLI_AUTH and an ACL user with +psync +replconf +info follow; the password is in no output or capture', async () => {
    const capture = path.join(tmp, 'auth.rspy');
    const runs = [
      await startTailCli([`127.0.0.1:${master.port}`, '-a', PASSWORD], { capture }),
      await startTailCli([`127.0.0.1:${master.port}`], { env: { REDISCLI_AUTH: PASSWORD } }),
      await startTailCli([`127.0.0.1:${master.port}`, '--user', 'follower', '--pass', 'follower-pw']),
    ];
    try {
      for (let i = 0; i < 20; i++) await master.cmd('SET', `k:${i}`, String(i));
      for (const run of runs) {
        await waitCaughtUp(run, master);
        expect(setIndexes(run.events())).toEqual(Array.from({ length: 20 }, (_, i) => i));
      }
    } finally {
      for (const run of runs) expect((await run.stop()).code).toBe(0);
    }
    for (const run of runs) expect(run.stdout() + run.stderr()).not.toContain(PASSWORD);
    expect(readFileSync(capture).includes(PASSWORD)).toBe(false);
  });

  it('a wrong password, a user without +psync: exit 1, saying what the master refused and what to give', async () => {
    const wrong = runCli(['tail', `127.0.0.1:${master.port}`, '-a', 'not-it', '--json', '--no-capture']);
    expect((await wrong.exited).code).toBe(1);
    expect(wrong.stderr()).toMatch(/127\.0\.0\.1:\d+ refused AUTH \(WRONGPASS.*\): give its credentials with -a\/--pass \(and --user\) or REDISCLI_AUTH/);
    const none = runCli(['tail', `127.0.0.1:${master.port}`, '--json', '--no-capture']);
    expect((await none.exited).code).toBe(1);
    expect(none.stderr()).toMatch(/refused INFO replication \(NOAUTH.*\): the master needs a password: -a\/--pass or REDISCLI_AUTH/);
    const reader = runCli(['tail', `127.0.0.1:${master.port}`, '--user', 'reader', '--pass', 'reader-pw', '--json', '--no-capture']);
    expect((await reader.exited).code).toBe(1);
    expect(reader.stderr()).toMatch(/the master refused PSYNC: NOPERM.*: the user needs \+psync \+replconf/);
  });

  it('--db, --command and --key show only what matches; the capture keeps everything and replays to it', async () => {
    const capture = path.join(tmp, 'filters.rspy');
    const tail = await startTailCli([`127.0.0.1:${master.port}`, '-a', PASSWORD, '--db', '3', '--command', 'hset', '--key', 'user:*'], { capture });
    try {
      await master.cmd('SELECT', 3);
      await master.cmd('HSET', 'user:1', 'f', 'v');
      await master.cmd('HSET', 'order:1', 'f', 'v');
      await master.cmd('SET', 'user:2', 'v');
      await master.cmd('SELECT', 0);
      await master.cmd('HSET', 'user:3', 'f', 'v');
      await master.cmd('SELECT', 3);
      await master.cmd('HSET', 'user:4', 'f', 'v');
      await master.cmd('SELECT', 0);
      await waitFor(() => tail.events().filter((e) => e.type === 'command').length === 2, 20_000, 'the two matching commands');
      await new Promise((r) => setTimeout(r, 500)); // nothing else comes
      expect(tail.events().filter((e) => e.type === 'command').map((e) => [e.db, ...e.argv])).toEqual([
        [3, 'HSET', 'user:1', 'f', 'v'],
        [3, 'HSET', 'user:4', 'f', 'v'],
      ]);
    } finally {
      expect((await tail.stop()).code).toBe(0);
    }
    const replay = runCli(['replay', capture, '--json', '--speed', 'max']);
    expect((await replay.exited).code).toBe(0);
    const keys = replay.events().filter((e) => e.type === 'command' && e.argv[0] !== 'SELECT' && e.argv[0] !== 'PING').map((e) => e.argv[1]);
    expect(keys).toEqual(['user:1', 'order:1', 'user:2', 'user:3', 'user:4']);
  });

  it('--no-tui: one line per command', async () => {
    const tail = await startTailCli([`127.0.0.1:${master.port}`, '-a', PASSWORD], { lines: true });
    try {
      await master.cmd('SET', 'line:1', 'hello');
      await waitFor(() => /SET line:1 hello/.test(tail.stdout()), 20_000, 'the line of the SET');
    } finally {
      expect((await tail.stop()).code).toBe(0);
    }
  });
});

