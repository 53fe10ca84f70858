// The CLI as Redis and npm users expect it, through the built CLI and real servers: usage errors exit 2,
// --version and help CMD, redis-cli habits for the side connection, a loop back to the proxy refused at start, an
// unreachable master said at start, inspect and replay errors that name the file and the byte, the lab's banner
// without its password, and `npm run --silent lab -- --json` as pure JSON lines.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { runCli, startCliProxy, type CliRun } from '../helpers/cli.js';
import { freePort, redisPool, requireRedis, waitFor, waitForLinkUp } from '../helpers/redis.js';
import { repoRoot } from '../helpers/repo-root.js';

const hasRedis = requireRedis();
const PASSWORD = 'usage-Pw-51d0';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-usage-'));
const pool = redisPool();
const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

afterAll(async () => {
  await pool.stopAll();
  rmSync(tmp, { recursive: true, force: true });
});


/** The exit within `ms`, or a failure that says the CLI kept running (and stops it). */
async function exitWithin(run: CliRun, ms: number): Promise<number | null> {
  const timer = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), ms));
  const r = await Promise.race([run.exited, timer]);
  if (r === 'running') {
    await run.stop();
    throw new Error(`repl-spy still running after ${ms} ms; stderr: ${run.stderr()}`);
  }
  return r.code;
}

describe('usage', () => {
  it('unknown option, missing argument, bad value: exit 2 with one line', async () => {
    for (const args of [
      ['--bogus'],
      ['--listen'],
      ['--listen', '0', '--upstream', '127.0.0.1:6379', '--capture-rdb', 'some'],
      ['--listen', '0', '--upstream', '127.0.0.1:6379', '--ack-timeout', 'soon'],
      ['replay'],
      ['inspect', 'x', '--bogus'],
      ['--listen', '0', '--upstream', '127.0.0.1'],
    ]) {
      const run = runCli([...args, '--no-capture']);
      expect(await run.exited, args.join(' ')).toEqual({ code: 2, signal: null });
      expect(run.stderr().trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const noPort = runCli(['--listen', '0', '--upstream', '127.0.0.1', '--no-capture']);
    await noPort.exited;
    expect(noPort.stderr()).toMatch(/bad address "127\.0\.0\.1": the port is missing \(e\.g\. 127\.0\.0\.1:6379\)/);
  });

  it('--version and help CMD', async () => {
    const v = runCli(['--version']);
    expect(await v.exited).toEqual({ code: 0, signal: null });
    expect(v.stdout().trim()).toBe(version);
    const help = runCli(['help', 'replay']);
    expect(await help.exited).toEqual({ code: 0, signal: null });
    expect(help.stdout()).toMatch(/^Usage: repl-spy replay \[options\] <file>/);
    expect(help.stdout()).toContain('--force');
  });
});

describe('the master, at start', () => {
  it('--upstream equal to --listen (also through 0.0.0.0) is refused at once with exit 2, no connection storm', async () => {
    for (const listenHost of ['127.0.0.1', '0.0.0.0']) {
      const port = await freePort();
      const run = runCli(['--listen', `${listenHost}:${port}`, '--upstream', `127.0.0.1:${port}`, '--json', '--no-capture']);
      expect(await exitWithin(run, 10_000)).toBe(2);
      expect(run.stderr()).toContain(`--upstream 127.0.0.1:${port} leads back to this proxy`);
      expect(run.events().filter((e) => e.type === 'link-open')).toEqual([]);
    }
  });

  it('an unreachable master is said at start, before any replica comes; the proxy keeps listening', async () => {
    const dead = await freePort();
    const run = await startCliProxy(dead, ['--json', '--no-capture']);
    try {
      await waitFor(() => /does not answer/.test(run.stderr()), 15_000, 'the start-up probe to report');
      expect(run.stderr()).toContain(`repl-spy: master 127.0.0.1:${dead} does not answer (ECONNREFUSED): replicas that connect are closed until it does; still listening on 127.0.0.1:${run.port}`);
      expect(run.proc.exitCode).toBeNull();
      await new Promise<void>((resolve, reject) => net.connect(run.port, '127.0.0.1').once('connect', function (this: net.Socket) {
        this.destroy();
        resolve();
      }).once('error', reject));
    } finally {
      expect(await run.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it.skipIf(!hasRedis)('a master that answers: no word about it', async () => {
    const master = await pool.start();
    const run = await startCliProxy(master.port, ['--json', '--no-capture']);
    await new Promise((r) => setTimeout(r, 500)); // the probe's settle time, with margin
    await run.stop();
    expect(run.stderr()).not.toMatch(/does not answer|leads back/);
  });
});

describe.skipIf(!hasRedis)('redis-cli habits for the side connection', () => {
  for (const [name, upstream, flags] of [
    ['redis://:password@host:port', (port: number) => `redis://:${PASSWORD}@127.0.0.1:${port}`, []],
    ['-a password', (port: number) => `127.0.0.1:${port}`, ['-a', PASSWORD]],
  ] as const) {
    it(`${name}: INFO is read (and recorded), the password is shown nowhere`, async () => {
      const master = await pool.start({ password: PASSWORD });
      const file = path.join(tmp, `side-${flags.length}.rspy`);
      const run = runCli(['--listen', '127.0.0.1:0', '--upstream', upstream(master.port), '--master-info', '--json', '--capture', file, ...flags], { env: { REDISCLI_AUTH: '' } });
      await waitFor(() => /listening on 127\.0\.0\.1:\d+/.test(run.stderr()), 10_000, 'repl-spy to listen');
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(run.stderr())![1]);
      const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(port), '--masterauth', PASSWORD] });
      await waitForLinkUp(replica);
      await run.stop();
      expect(run.stderr()).not.toContain('--master-info:');
      expect(`${run.stderr()}${run.stdout()}`).not.toContain(PASSWORD);
      expect(run.stderr()).toContain(`master 127.0.0.1:${master.port}`);
      const kinds: string[] = [];
      for await (const e of (await openCapture(file)).events()) kinds.push(e.kind);
      expect(kinds).toContain('server-info');
      expect((await openCapture(file)).meta.upstream).toBe(`127.0.0.1:${master.port}`);
    });
  }
});

describe.skipIf(!hasRedis)('inspect and replay name the file and the byte', () => {
  it('inspect: a cut RDB with --keys says where on stderr; unknown, missing and directory paths get a sentence', async () => {
    const master = await pool.start();
    await master.cmd('DEBUG', 'POPULATE', 100, 'k', 10);
    await master.cmd('SAVE');
    const rdb = path.join(tmp, 'cut.rdb');
    copyFileSync(path.join(master.dir, 'dump.rdb'), rdb);
    truncateSync(rdb, Math.floor(statSync(rdb).size / 2));
    const keys = runCli(['inspect', rdb, '--keys']);
    expect((await keys.exited).code).toBe(1);
    expect(keys.stderr()).toMatch(new RegExp(`^repl-spy: ${rdb}: byte \\d+: RDB_TRUNCATED: `, 'm'));
    expect(keys.stdout().trim().split('\n').length).toBeGreaterThan(10); // the keys before the cut

    const junk = path.join(tmp, 'notes.txt');
    writeFileSync(junk, 'hello, not a snapshot\n');
    const unknown = runCli(['inspect', junk]);
    expect((await unknown.exited).code).toBe(1);
    expect(unknown.stdout()).toContain(`file      ${junk} (unknown type)`);
    expect(unknown.stdout()).not.toContain('(RDB file)');
    expect(unknown.stderr()).toMatch(/byte 0: unknown file type: not an RDB file/);

    for (const [target, sentence] of [
      [path.join(tmp, 'missing.rdb'), 'no such file or directory'],
      [path.join(tmp, 'missing', 'x.rdb'), 'no such file or directory'],
    ]) {
      const run = runCli(['inspect', target]);
      expect((await run.exited).code).toBe(2);
      expect(run.stderr()).toBe(`repl-spy: ${target}: ${sentence}\n`);
    }
    const dir = runCli(['replay', tmp]);
    expect((await dir.exited).code).toBe(2);
    expect(dir.stderr()).toBe(`repl-spy: ${tmp}: is a directory, not a file\n`);
  });

  it('replay --link N of a link the capture does not have: it says so and exits non-zero', async () => {
    const master = await pool.start();
    const file = path.join(tmp, 'links.rspy');
    const run = await startCliProxy(master.port, ['--json', '--capture', file]);
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(run.port)] });
    await waitForLinkUp(replica);
    await run.stop();
    const replay = runCli(['replay', file, '--json', '--link', '7']);
    expect((await replay.exited).code).toBe(1);
    expect(replay.stderr()).toContain(`repl-spy: ${file}: the capture has no link 7 (its links: 1)`);
    const to = runCli(['replay', file, '--to', `127.0.0.1:${replica.port}`, '--link', '7']);
    expect((await to.exited).code).not.toBe(0);
    expect(to.stderr()).toContain('the capture has no link 7 (its links: 1)');
    const ok = runCli(['replay', file, '--json', '--link', '1']);
    expect((await ok.exited).code).toBe(0);
  });
});

describe.skipIf(!hasRedis)('the lab', () => {
  it("its banner masks the password, which is in an owner-only file of the lab directory; a fault for a replica it does not have is refused", async () => {
    const refused = runCli(['lab', '--replicas', '1', '--fault', 'replica=2,cut', '--json', '--no-capture']);
    expect(await exitWithin(refused, 10_000)).toBe(2);
    expect(refused.stderr()).toMatch(/fault "replica=2,cut": there is no replica 2: the lab has 1/);
    expect(refused.stderr()).not.toContain('starting redis-server');

    const lab = runCli(['lab', '--replicas', '1', '--keys', '10', '--password', PASSWORD, '--duration', '30', '--json', '--no-capture']);
    try {
      await waitFor(() => /control +http/.test(lab.stderr()), 20_000, 'the lab banner');
      expect(lab.stderr()).not.toContain(PASSWORD);
      const file = /in (\S+\/password) \(mode 0600\)/.exec(lab.stderr())![1]!;
      expect(readFileSync(file, 'utf8').trim()).toBe(PASSWORD);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(lab.stderr()).toContain(`REDISCLI_AUTH=$(cat ${file}) redis-cli -p `);
      // the control interface shows each link's lag as the pipeline has it now
      const control = /control +(http:\/\/127\.0\.0\.1:\d+)/.exec(lab.stderr())![1]!;
      type Status = { links: { link: number; lag: { lagBytes: number; lagMs: number; ackSilent: boolean } | null }[] };
      let status: Status = { links: [] };
      await waitFor(async () => {
        status = (await (await fetch(`${control}/status`)).json()) as Status;
        return status.links.length === 1 && status.links[0]!.lag !== null;
      }, 20_000, 'a link with its lag on /status');
      expect(status.links[0]!.lag).toMatchObject({ link: status.links[0]!.link, lagBytes: expect.any(Number), lagMs: expect.any(Number), ackSilent: false });
      // nor does the control interface say the password: it names the file
      const raw = await (await fetch(`${control}/status`)).text();
      expect(raw).not.toContain(PASSWORD);
      expect(JSON.parse(raw)).toMatchObject({ passwordFile: file });
      await lab.stop();
      expect(existsSync(file)).toBe(false);
    } finally {
      await lab.stop();
    }
  });

  it('npm run --silent lab -- --json: stdout is JSON lines only, for jq', async () => {
    const proc = spawn('npm', ['run', '--silent', 'lab', '--', '--json', '--replicas', '1', '--keys', '10', '--duration', '3', '--no-capture'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.resume();
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  }, 90_000);
});
