// A master that answers with junk: the CLI reports one protocol-violation for that direction and forwards the rest
// opaquely, byte for byte. Its log file is created owner-only, like the capture.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCliProxy, tcpClient } from '../helpers/cli.js';
import { waitFor } from '../helpers/redis.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-junk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REPLID = 'a'.repeat(40);
const junk = Buffer.from(Array.from({ length: 500 }, (_, i) => `this is not RESP, line ${i}\r\n`).join(''));

describe('a master that sends junk after +CONTINUE', () => {
  it('one protocol-violation per direction, every byte forwarded; the log file is 0600', async () => {
    const master = net.createServer((s) => {
      s.once('data', () => s.end(Buffer.concat([Buffer.from('+CONTINUE\r\n*1\r\n$4\r\nPING\r\n'), junk])));
    });
    await new Promise<void>((resolve) => master.listen(0, '127.0.0.1', resolve));
    const log = path.join(dir, 'proxy.log');
    const proxy = await startCliProxy((master.address() as net.AddressInfo).port, ['--json', '--no-capture', '--log-file', log]);
    try {
      const replica = tcpClient(proxy.port);
      replica.socket.write(`*3\r\n$5\r\nPSYNC\r\n$40\r\n${REPLID}\r\n$1\r\n1\r\n`);
      await replica.closed;
      const sent = Buffer.concat([Buffer.from('+CONTINUE\r\n*1\r\n$4\r\nPING\r\n'), junk]);
      expect(createHash('sha256').update(replica.received()).digest('hex')).toBe(createHash('sha256').update(sent).digest('hex'));
      await waitFor(() => proxy.events().some((e) => e.type === 'link-close'), 10_000, 'the link-close');
      const violations = proxy.events().filter((e) => e.type === 'protocol-violation');
      expect(violations).toMatchObject([{ from: 'master', code: 'RSPY_DECODE_INLINE_FROM_MASTER', pos: 11 + 14 }]);
      expect(proxy.events().filter((e) => e.type === 'command').map((e) => e.argv)).toEqual([['PING']]);
      expect(statSync(log).mode & 0o777).toBe(0o600);
    } finally {
      await proxy.stop();
      await new Promise<void>((resolve) => master.close(() => resolve()));
    }
  });
});
