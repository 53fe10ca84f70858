// The TUI in a real terminal (tmux) against real Redis: a master and three replicas through the proxy, one
// shared BGSAVE. The test reads the screen as a user would, sends keys and checks what changes; then the
// capture of that session is replayed and must show the same replicas, grouping and commands.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { builtCli, requireTmux, Tmux } from './tui-terminal.js';

const WIDTH = 100;
const HEIGHT = 30;

const ready = requireRedis() && requireTmux();

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;
/** The link rows of the links view: replica address, port, state and sync, minus volatile columns. */
const linkRows = (screen: string) =>
  screen
    .split('\n')
    .filter((l) => /^[┃┗ ] #\d/.test(l))
    .map((l) => l.replace(/\s+/g, ' ').trim());

describe.skipIf(!ready)('TUI in a real terminal, 3 replicas through the proxy, one shared BGSAVE', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-tui-'));
  const capture = path.join(dir, 'session.rspy');
  let master: RedisServer;
  const replicas: RedisServer[] = [];
  let live: Tmux;
  let cli: string;
  let liveLinks: string[] = [];

  beforeAll(async () => {
    cli = builtCli();
    // Disk sync and a slow BGSAVE (2 ms per key): the three replicas attach to the same one.
    master = await startRedis({ args: ['--repl-diskless-sync', 'no', '--rdb-key-save-delay', '2000'] });
    await master.cmd('DEBUG', 'POPULATE', 1500, 'seed', 16);
    const listen = await freePort();
    live = Tmux.start(`repl-spy-tui-live-${process.pid}`, [
      process.execPath, cli, '--listen', `127.0.0.1:${listen}`, '--upstream', `127.0.0.1:${master.port}`,
      '--capture', capture, '--log-file', path.join(dir, 'live.log'), '--faults',
    ], dir, WIDTH, HEIGHT);
    await live.waitScreen('the TUI', (s) => s.includes('repl-spy [links]'));
    for (let i = 0; i < 3; i++) replicas.push(await startReplicaThrough(listen));
  });

  afterAll(async () => {
    live?.kill();
    await Promise.all(replicas.map((r) => r.stop()));
    await master?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the three links grouped under one BGSAVE, then streaming', async () => {
    const during = await live.waitScreen('3 replicas waiting for one BGSAVE', (s) => count(s, /waiting /g) >= 3 || s.includes('3 replicas, 1 BGSAVE'));
    expect(during).toMatch(/#1 .*127\.0\.0\.1:\d+ +:\d+ /); // socket address and announced listening-port
    for (const r of replicas) await waitForLinkUp(r, 30_000);
    await master.cmd('SET', 'user:1', 'ada');
    await master.cmd('HSET', 'user:2', 'name', 'grace');
    await master.cmd('SET', 'other', 'x');
    const screen = await live.waitScreen('3 streaming links', (s) => count(s, / streaming /g) === 3 && count(s, /lag 0 B/g) === 3);
    expect(screen).toContain('┏ 3 replicas, 1 BGSAVE');
    expect(count(screen, /┃ #\d/g) + count(screen, /┗ /g)).toBe(3 + 1); // three rows framed, the last closes the frame
    expect(count(screen, / full\b/g)).toBe(3);
    expect(count(screen, /RDB █+ 100%/g)).toBe(3);
    const offset = Number((await master.info('replication')).master_repl_offset);
    expect(count(screen, new RegExp(`off ${offset} `, 'g'))).toBe(3);
    liveLinks = linkRows(screen);
    expect(liveLinks).toHaveLength(3);
  });

  it('adapts to a resize down to 80x24 and back', async () => {
    live.resize(80, 24);
    const small = await live.waitScreen('the 80x24 screen', (s) => s.split('\n')[23]?.includes('q quit') === true);
    const lines = small.split('\n');
    expect(lines.slice(0, 24).every((l) => l.length <= 80)).toBe(true);
    expect(linkRows(small)).toHaveLength(3);
    expect(small).toContain('┏ 3 replicas, 1 BGSAVE');
    live.resize(WIDTH, HEIGHT);
    await live.waitScreen('the 100x30 screen', (s) => s.split('\n')[HEIGHT - 1]?.includes('q quit') === true);
  });

  it('Tab shows the live commands of all links; / filters them by key pattern', async () => {
    live.keys('Tab');
    let screen = await live.waitScreen('the stream view', (s) => s.includes('[stream]') && s.includes('user:2'));
    expect(count(screen, / HSET +user:2 name grace/g)).toBe(3); // once per link
    expect(count(screen, / SET +other x/g)).toBe(3);
    live.type('/');
    live.type('key:user:* link:2');
    live.keys('Enter');
    screen = await live.waitScreen('the filtered stream', (s) => s.includes('filter: key:user:* link:2'));
    expect(screen).not.toContain('other x');
    expect(count(screen, / #2 .* (SET|HSET) +user:/g)).toBe(2);
    expect(count(screen, / #[13] .* (SET|HSET) /g)).toBe(0);
  });

  it('Enter opens the link detail: sync waterfall, handshake, RDB facts', async () => {
    live.keys('Enter');
    const screen = await live.waitScreen('the link detail', (s) => s.includes('[detail #2]'));
    expect(screen).toMatch(/handshake +█/);
    expect(screen).toMatch(/waiting for BGSAVE +.*█.* \d+ keepalives?/);
    expect(screen).toMatch(/RDB transfer +.*█/);
    expect(screen).toMatch(/replica load/);
    expect(screen).toMatch(/replica → PSYNC \? -1/);
    expect(screen).toMatch(/← master +\+FULLRESYNC [0-9a-f]{40} \d+/);
    live.keys('G'); // to the end: RDB facts and the command tail
    const end = await live.waitScreen('the end of the detail', (s) => s.includes('COMMANDS'));
    expect(end).toMatch(/HSET +user:2 name grace/);
  });

  it('? shows the help, Esc closes it', async () => {
    live.type('?');
    let screen = await live.waitScreen('the help', (s) => s.includes('KEYS'));
    expect(screen).toContain('/                filter the stream');
    live.keys('Escape');
    screen = await live.waitScreen('back to the detail', (s) => s.includes('[detail #2]'));
    live.keys('Escape');
    await live.waitScreen('back to the stream', (s) => s.includes('[stream]'));
    live.keys('Tab');
    screen = await live.waitScreen('back to the links', (s) => s.includes('[links]'));
    expect(linkRows(screen)).toEqual(liveLinks);
  });

  it('f freezes the selected link through the proxy (status line, FROZEN flag); q quits', async () => {
    live.type('f');
    const screen = await live.waitScreen('the frozen link', (s) => /#1 .* streaming +FROZEN +full/.test(s));
    expect(screen).toContain('link #1: freeze=5000ms');
    expect(screen).not.toMatch(/#[23] .*FROZEN/);
    live.type('q');
    await waitFor(() => live.exited(), 10_000, 'the TUI to exit on q');
  });

  it('without --faults the fault keys of the proxy do nothing but say so', async () => {
    const plain = Tmux.start(`repl-spy-tui-plain-${process.pid}`, [
      process.execPath, cli, '--listen', `127.0.0.1:${await freePort()}`, '--upstream', `127.0.0.1:${master.port}`,
      '--no-capture', '--log-file', path.join(dir, 'plain.log'),
    ], dir, WIDTH, HEIGHT);
    try {
      await plain.waitScreen('the TUI', (s) => s.includes('repl-spy [links]'));
      plain.type('f');
      const screen = await plain.waitScreen('the refusal', (s) => s.includes('faults are only available live (repl-spy lab, or the proxy with --faults)'));
      expect(screen).not.toContain('x/f/d/b fault');
    } finally {
      plain.kill();
    }
  });

  it('the replay of the capture shows the same screen; space pauses it, + speeds it up', async () => {
    const replay = Tmux.start(`repl-spy-tui-replay-${process.pid}`, [process.execPath, cli, 'replay', capture, '--speed', '1'], dir, WIDTH, HEIGHT);
    try {
      // The same moment of the session as the live screen above: three links caught up at the final offset.
      const screen = await replay.waitScreen('the replayed links', (s) => linkRows(s).join('\n') === liveLinks.join('\n'));
      expect(screen).toContain('┏ 3 replicas, 1 BGSAVE');
      expect(screen).toMatch(/repl-spy \[links\] replay .*replay x1/);
      replay.type('x');
      await replay.waitScreen('no faults in a replay', (s) => s.includes('faults are only available live'));
      replay.keys('Tab');
      const stream = await replay.waitScreen('the replayed stream', (s) => s.includes('[stream]') && count(s, / HSET +user:2 name grace/g) === 3);
      expect(count(stream, / SET +other x/g)).toBe(3);
      replay.keys('Space');
      await replay.waitScreen('the replay paused', (s) => s.includes('replay paused') && s.includes('PAUSED'));
      replay.keys('Space');
      replay.type('+');
      await replay.waitScreen('the replay at x2', (s) => s.includes('replay x2'));
      replay.type('q');
      await waitFor(() => replay.exited(), 10_000, 'the replay TUI to exit on q');
    } finally {
      replay.kill();
    }
  });
});
