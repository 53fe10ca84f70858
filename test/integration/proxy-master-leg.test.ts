// The master leg of a link: a master that accepts and stays silent (a fake one, a SIGSTOPped real one) no longer
// leaves a link per retry; a master that accepts and then resets is said to have reset, not to be unreachable;
// and every link, also one that never reached its master, has its `open` before its `close`.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../src/core/events.js';
import { startProxy, type Proxy } from '../../src/proxy/index.js';
import { freePort, requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer } from '../helpers/redis.js';
import { tcpHandles } from '../helpers/tcp-peers.js';

const hasRedis = requireRedis();

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function proxyTo(port: number, halfCloseTimeoutMs: number): Promise<{ proxy: Proxy; events: WireEvent[] }> {
  const events: WireEvent[] = [];
  const proxy = await startProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port },
    halfCloseTimeoutMs,
    onWire: (e) => {
      if (e.kind !== 'bytes') events.push(e);
    },
  });
  cleanup.push(() => proxy.close());
  return { proxy, events };
}

const closes = (events: WireEvent[]) => events.filter((e): e is Extract<WireEvent, { kind: 'close' }> => e.kind === 'close');

describe('a master that accepts and never answers', () => {
  it('after the replica closes its side, the silent master leg is closed after the half-close timeout', async () => {
    const baseline = tcpHandles();
    const held: net.Socket[] = [];
    const master = net.createServer({ allowHalfOpen: true }, (s) => held.push(s)); // reads nothing, never closes
    await new Promise<void>((resolve) => master.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => master.close(() => resolve())));
    cleanup.push(() => held.forEach((s) => s.destroy()));
    const { proxy, events } = await proxyTo((master.address() as net.AddressInfo).port, 300);
    for (let i = 0; i < 5; i++) {
      const replica = net.connect({ host: '127.0.0.1', port: proxy.address().port });
      replica.on('error', () => {});
      replica.end('*1\r\n$4\r\nPING\r\n'); // a replica giving up on its handshake: FIN after its PING
    }
    await waitFor(() => closes(events).length === 5, 10_000, 'five link closes');
    for (const c of closes(events)) {
      expect(c).toMatchObject({ by: 'replica' });
      expect(c.reason).toMatch(/^replica closed the connection; the master sent nothing for 0.3 s after that \(--half-close-timeout\)/);
    }
    expect(proxy.links.size).toBe(0);
    held.forEach((s) => s.destroy());
    await proxy.close();
    await waitFor(() => tcpHandles() <= baseline + 1, 5_000, 'no TCP handle left but the fake master'); // + the fake master's server
  });

  it.skipIf(!hasRedis)('a SIGSTOPped real master: the retrying replica leaves no links behind', async () => {
    const master: RedisServer = await startRedis();
    cleanup.push(() => master.stop());
    const { proxy, events } = await proxyTo(master.port, 500);
    master.pause();
    cleanup.push(() => master.resume());
    // repl-timeout 1: the replica gives up on the silent handshake after a second and tries again
    const replica = await startReplicaThrough(proxy.address().port, { args: ['--repl-timeout', '1'] });
    cleanup.push(() => replica.stop());
    await waitFor(() => closes(events).length >= 3, 30_000, 'three retries closed');
    expect(closes(events).every((c) => /--half-close-timeout/.test(c.reason))).toBe(true);
    expect(proxy.links.size).toBeLessThanOrEqual(2); // the attempt in progress (and one closing)
  }, 60_000);
});

describe('a master that accepts and then resets', () => {
  it('is "reset by the master", not "unreachable", and the link still has its open before its close', async () => {
    // The master is another process: while this one is blocked, it accepts and resets, so the proxy's connect
    // completes with ECONNRESET (what a busy proxy sees from a master that resets at once).
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, ['-e', `
      const net = require('node:net');
      net.createServer((s) => s.resetAndDestroy()).listen(${port}, '127.0.0.1', () => console.log('ready'));
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanup.push(() => void child.kill());
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const { proxy, events } = await proxyTo(port, 10_000);
    const replica = net.connect({ host: '127.0.0.1', port: proxy.address().port });
    replica.on('error', () => {});
    while (proxy.links.size === 0) await new Promise((r) => setImmediate(r));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500); // the connect is in flight; the master resets it
    await waitFor(() => closes(events).length === 1, 10_000, 'the link close');
    expect(events.map((e) => e.kind)).toEqual(['open', 'close']);
    expect(closes(events)[0]).toMatchObject({ by: 'master', reason: `master 127.0.0.1:${port} reset the connection (ECONNRESET) as it was opened` });
    replica.destroy();
  });

  it('an unreachable master: open, then close with the reason', async () => {
    const port = await freePort();
    const { proxy, events } = await proxyTo(port, 10_000);
    const replica = net.connect({ host: '127.0.0.1', port: proxy.address().port });
    replica.on('error', () => {});
    await waitFor(() => closes(events).length === 1, 10_000, 'the link close');
    expect(events.map((e) => e.kind)).toEqual(['open', 'close']);
    expect(closes(events)[0]).toMatchObject({ by: 'master', reason: `master 127.0.0.1:${port} unreachable: ECONNREFUSED` });
  });
});
