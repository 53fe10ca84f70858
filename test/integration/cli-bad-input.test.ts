// Bad input through the built CLI (`repl-spy --listen --upstream --json`): a port in use, bad arguments, an
// unreachable master, garbage or silence from a client, an upstream that closes at once or is not Redis.
// Each case: one clear line or clear events, the proxy goes on serving, and no crash (clean exit on SIGTERM).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireRedis, startRedis, waitFor, type RedisServer } from '../helpers/redis.js';
import { runCli, startCliProxy, tcpClient, type CliRun } from '../helpers/cli.js';

const hasRedis = requireRedis();
const HTTP_BANNER = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nBad Request';

/** A TCP server standing in for a broken master. */
async function fakeUpstream(onConnection: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Stops the CLI and checks it was alive until then and exits cleanly, with no stack trace. */
async function expectCleanExit(run: CliRun): Promise<void> {
  expect(run.proc.exitCode).toBeNull();
  expect(await run.stop()).toEqual({ code: 0, signal: null });
  expect(run.stderr()).not.toMatch(/\n\s+at |TypeError|RangeError|Unhandled/);
}

describe('repl-spy CLI: startup errors', () => {
  it('port in use: exit code 3 and one clear line on stderr', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const run = runCli(['--listen', `127.0.0.1:${port}`, '--upstream', '127.0.0.1:6379', '--json', '--no-capture']);
      expect(await run.exited).toEqual({ code: 3, signal: null });
      expect(run.stderr()).toMatch(
        new RegExp(`^repl-spy: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use \\(EADDRINUSE\\): choose another port[^\\n]*\\n$`),
      );
      expect(run.stdout()).toBe('');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('bad arguments: exit code 2 and one clear line on stderr', async () => {
    const missing = runCli(['--listen', '0', '--json', '--no-capture']);
    expect(await missing.exited).toEqual({ code: 2, signal: null });
    expect(missing.stderr()).toMatch(/^repl-spy: both --listen and --upstream are required: e\.g\. [^\n]+\n$/);
    const badPort = runCli(['--listen', '0', '--upstream', 'localhost:http', '--json', '--no-capture']);
    expect(await badPort.exited).toEqual({ code: 2, signal: null });
    expect(badPort.stderr()).toMatch(/^repl-spy: bad address "localhost:http": [^\n]+\n$/);
  });
});

describe('repl-spy CLI: bad peers', () => {
  it('unreachable master: each replica connection is closed with the reason, and the proxy keeps serving', async () => {
    const deadPort = await freePort();
    const run = await startCliProxy(deadPort, ['--json', '--no-capture']);
    try {
      for (const link of [1, 2]) {
        const client = tcpClient(run.port);
        await client.closed;
        expect(client.received().length).toBe(0);
        await waitFor(() => run.events().some((e) => e.type === 'link-close' && e.link === link), 10_000, `link-close ${link}`);
      }
      expect(run.events()).toEqual([
        expect.objectContaining({ type: 'link-open', link: 1 }),
        expect.objectContaining({ type: 'link-close', link: 1, by: 'master', reason: `master 127.0.0.1:${deadPort} unreachable: ECONNREFUSED` }),
        expect.objectContaining({ type: 'link-open', link: 2 }),
        expect.objectContaining({ type: 'link-close', link: 2, by: 'master', reason: `master 127.0.0.1:${deadPort} unreachable: ECONNREFUSED` }),
      ]);
    } finally {
      await expectCleanExit(run);
    }
  });

  it('an upstream that closes at once: the replica is closed, link-close by master', async () => {
    const upstream = await fakeUpstream((s) => s.end());
    const run = await startCliProxy(upstream.port, ['--json', '--no-capture']);
    try {
      const client = tcpClient(run.port);
      client.socket.write('*1\r\n$4\r\nPING\r\n');
      await client.closed;
      await waitFor(() => run.events().some((e) => e.type === 'link-close'), 10_000, 'link-close');
      expect(run.events().map((e) => e.type)).toContain('link-open');
      expect(run.events().find((e) => e.type === 'link-close')).toMatchObject({ link: 1, by: 'master', reason: 'master closed the connection' });
      expect(run.events().filter((e) => e.type === 'protocol-violation')).toEqual([]);
    } finally {
      await expectCleanExit(run);
      await upstream.close();
    }
  });

  it('a non-Redis upstream (HTTP banner): one protocol violation at byte 0, the bytes still forwarded', async () => {
    const upstream = await fakeUpstream((s) => s.end(HTTP_BANNER));
    const run = await startCliProxy(upstream.port, ['--json', '--no-capture']);
    try {
      const client = tcpClient(run.port);
      client.socket.write('*1\r\n$4\r\nPING\r\n');
      await client.closed;
      expect(client.received().toString('latin1')).toBe(HTTP_BANNER);
      await waitFor(() => run.events().some((e) => e.type === 'link-close'), 10_000, 'link-close');
      const violations = run.events().filter((e) => e.type === 'protocol-violation');
      expect(violations).toEqual([
        expect.objectContaining({ link: 1, from: 'master', code: 'RSPY_DECODE_UNEXPECTED_REPLY', pos: 0 }),
      ]);
      expect(violations[0]!.message).toContain('HTTP/1.1 400');
      expect(violations[0]!.excerptHex).toMatch(/^48545450/); // "HTTP"
      expect(run.events().filter((e) => e.type === 'replica-command').map((e) => e.argv)).toEqual([['PING']]);
    } finally {
      await expectCleanExit(run);
      await upstream.close();
    }
  });
});

describe.skipIf(!hasRedis)('repl-spy CLI in front of a real redis-server: garbage and silence', () => {
  let redis: RedisServer;
  let run: CliRun & { port: number };

  beforeAll(async () => {
    redis = await startRedis();
    run = await startCliProxy(redis.port, ['--json', '--no-capture']);
  });

  afterAll(async () => {
    if (run) await expectCleanExit(run);
    await redis?.stop();
  });

  it('garbage from a client: a protocol violation with code and position, Redis answers exactly as directly', async () => {
    const garbage = 'PING\r\n*1\r\n$abc\r\n';
    const direct = tcpClient(redis.port);
    direct.socket.write(garbage);
    await direct.closed;
    const through = tcpClient(run.port);
    through.socket.write(garbage);
    await through.closed;
    expect(through.received().toString()).toBe(direct.received().toString());
    expect(through.received().toString()).toMatch(/^\+PONG\r\n-ERR Protocol error/);

    await waitFor(() => run.events().some((e) => e.type === 'client-close' && e.link === 1), 10_000, 'client-close 1');
    const link1 = run.events().filter((e) => e.link === 1);
    expect(link1.map((e) => e.type)).toEqual(['client-open', 'protocol-violation', 'client-close']); // a client link
    expect(link1[2]).toMatchObject({ commands: 1 });
    const violations = link1.filter((e) => e.type === 'protocol-violation');
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ from: 'replica', code: expect.stringMatching(/^RSPY_DECODE_/), pos: 11 }); // the 'a' of $abc
    expect(violations[0]!.excerptHex).toBe(Buffer.from('PING\r\n*1\r\n$a').toString('hex')); // up to the bad byte
  });

  it('a client that connects and sends nothing: open, then closed by the replica, no violation', async () => {
    const silent = tcpClient(run.port);
    // what a link is shows once it sends something: one that sends nothing gets its link-open at its close
    await new Promise((resolve) => silent.socket.once('connect', resolve));
    silent.socket.end();
    await waitFor(() => run.events().some((e) => e.type === 'link-close' && e.link === 2), 10_000, 'link-close 2');
    expect(run.events().filter((e) => e.link === 2).map((e) => [e.type, e.by])).toEqual([
      ['link-open', undefined],
      ['link-close', 'replica'],
    ]);
  });

  it('still serves the next client normally', async () => {
    const client = tcpClient(run.port);
    client.socket.write('*1\r\n$4\r\nPING\r\n');
    await waitFor(() => client.received().toString() === '+PONG\r\n', 10_000, '+PONG through the proxy');
    client.socket.end();
    await waitFor(() => run.events().some((e) => e.type === 'client-close' && e.link === 3), 10_000, 'client-close 3');
    expect(run.events().filter((e) => e.link === 3).map((e) => e.type)).toEqual(['client-open', 'client-close']);
    expect(run.events().find((e) => e.link === 3 && e.type === 'client-close')).toMatchObject({ commands: 1, requestBytes: 14, replyBytes: 7 });
    expect(run.events().filter((e) => e.type === 'protocol-violation')).toHaveLength(1);
  });
});
