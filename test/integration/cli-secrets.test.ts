// Secrets sent through the proxy to a real Redis never show: not on stdout, not in the raw capture (where not even
// their length is kept), not in export or replay. HELLO ... AUTH ... SETNAME, CONFIG SET masterauth/requirepass,
// ACL SETUSER >password and MIGRATE ... AUTH are masked wherever AUTH is.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { cliPath, startCliProxy, tcpClient } from '../helpers/cli.js';
import { freePort, requireRedis, startRedis, waitFor, type RedisServer } from '../helpers/redis.js';

const hasRedis = requireRedis();
const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const resp = (...argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
const SECRETS = ['hello-pass-1', 'masterauth-2', 'acl-pass-3', 'migrate-pass-4', 'auth-pass-5'];
/** The commands a client sends, or (masked) what the capture must keep of them. */
const commands = (masked: boolean, deadPort: number) => {
  const s = (i: number, prefix = '') => (masked ? '***' : prefix + SECRETS[i]!);
  return [
    resp('HELLO', '3', 'AUTH', 'default', s(0), 'SETNAME', 'spy-test'),
    resp('CONFIG', 'SET', 'masterauth', s(1)),
    resp('ACL', 'SETUSER', 'other', 'on', s(2, '>')),
    resp('MIGRATE', '127.0.0.1', String(deadPort), 'k', '0', '100', 'AUTH', s(3)),
    resp('AUTH', 'app', s(4)),
    resp('PING'),
  ];
};

describe.skipIf(!hasRedis)('secrets through the proxy', () => {
  let redis: RedisServer | null = null;
  afterAll(() => redis?.stop());

  it('are masked on stdout, in the capture (length not kept), in export and in replay', async () => {
    redis = await startRedis({ password: SECRETS[0] });
    await redis.cmd('ACL', 'SETUSER', 'app', 'on', `>${SECRETS[4]}`, '~*', '+@all');
    const capture = path.join(dir, 'secrets.rspy');
    const proxy = await startCliProxy(redis.port, ['--json', '--clients', '--capture', capture]);
    const deadPort = await freePort();
    let masked = '';
    try {
      const client = tcpClient(proxy.port);
      for (const c of commands(false, deadPort)) client.socket.write(c);
      masked = commands(true, deadPort).join('');
      await waitFor(() => client.received().toString().includes('+PONG'), 10_000, 'the PONG after the commands');
      client.socket.end();
      await client.closed;
      await waitFor(() => proxy.events().some((e) => e.type === 'client-close'), 10_000, 'the client-close');
    } finally {
      await proxy.stop();
    }
    expect((await redis.cmd('CONFIG', 'GET', 'masterauth')) as string[]).toEqual(['masterauth', SECRETS[1]]); // they did reach Redis

    const stdout = proxy.stdout();
    const hello = proxy.events().find((e) => e.type === 'client-command' && e.argv[0] === 'HELLO');
    expect(hello?.argv).toEqual(['HELLO', '3', 'AUTH', 'default', '***', 'SETNAME', 'spy-test']);
    const file = readFileSync(capture);
    const exported = spawnSync(process.execPath, [cliPath, 'export', capture, '--format', 'jsonl'], { encoding: 'utf8' });
    const replayed = spawnSync(process.execPath, [cliPath, 'replay', capture, '--json', '--clients'], { encoding: 'utf8' });
    expect(exported.status).toBe(0);
    expect(replayed.status).toBe(0);
    for (const secret of SECRETS) {
      expect(stdout).not.toContain(secret);
      expect(file.includes(secret)).toBe(false);
      expect(exported.stdout).not.toContain(secret);
      expect(replayed.stdout).not.toContain(secret);
    }
    // what the client sent, each secret as `$3\r\n***\r\n`: no trace of its length either
    const sent: Buffer[] = [];
    for await (const e of (await openCapture(capture)).events()) if (e.kind === 'bytes' && e.from === 'replica') sent.push(e.chunk);
    expect(Buffer.concat(sent).toString('latin1')).toBe(masked);
    const replayedHello = replayed.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'client-command' && e.argv[0] === 'HELLO');
    expect(replayedHello.argv).toEqual(hello!.argv);
  });
});
