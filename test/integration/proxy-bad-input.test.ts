// Bad input and bad peers: the proxy reports what happened in one close event, never crashes, keeps serving,
// and leaves no socket behind.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplSpyError } from '../../src/core/errors.js';
import type { WireLinkEvent } from '../../src/core/events.js';
import { startProxy, type Proxy } from '../../src/proxy/index.js';
import { freePort, requireRedis, startRedis, waitFor, type RedisServer } from '../helpers/redis.js';
import { receiveAll, sha256, tcpHandles } from '../helpers/tcp-peers.js';

const hasRedis = requireRedis();

interface Observed {
  proxy: Proxy;
  events: WireLinkEvent[];
  sent: { master: Buffer[]; replica: Buffer[] };
  closeEvent(link: number): Promise<Extract<WireLinkEvent, { kind: 'close' }>>;
}

async function proxyTo(upstreamPort: number): Promise<Observed> {
  const events: WireLinkEvent[] = [];
  const sent = { master: [] as Buffer[], replica: [] as Buffer[] };
  const proxy = await startProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: upstreamPort },
    onWire: (e) => {
      events.push(e);
      if (e.kind === 'bytes') sent[e.from].push(e.chunk);
    },
  });
  const closeEvent = async (link: number) => {
    await waitFor(() => events.some((e) => e.kind === 'close' && e.link === link), 10_000, `close of link ${link}`);
    return events.find((e) => e.kind === 'close' && e.link === link) as Extract<WireLinkEvent, { kind: 'close' }>;
  };
  return { proxy, events, sent, closeEvent };
}

function connectReplica(proxy: Proxy): net.Socket {
  return net.connect({ host: '127.0.0.1', port: proxy.address().port });
}

/** A TCP server standing in for a broken master; `onConnection` decides how it misbehaves. */
async function fakeMaster(onConnection: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.resume(); // read and drop what comes, so the peer's FIN is seen and the socket can close
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('proxy with bad peers (plain TCP)', () => {
  it('unreachable master: the replica is closed, the reason is reported, the proxy keeps serving', async () => {
    const baseline = tcpHandles();
    const deadPort = await freePort();
    const { proxy, events, closeEvent } = await proxyTo(deadPort);
    for (const link of [1, 2]) {
      const replica = connectReplica(proxy);
      const received = await receiveAll(replica);
      expect(received.bytes).toBe(0);
      expect(await closeEvent(link)).toMatchObject({
        by: 'master',
        reason: `master 127.0.0.1:${deadPort} unreachable: ECONNREFUSED`,
      });
    }
    expect(events.filter((e) => e.kind !== 'bytes').map((e) => `${e.kind} ${e.link}`)).toEqual(['open 1', 'close 1', 'open 2', 'close 2']);
    expect(proxy.links.size).toBe(0);
    await proxy.close();
    await waitFor(() => tcpHandles() === baseline, 2_000, 'no TCP handle left');
  });

  it('a master that closes at once: the replica sees the close', async () => {
    const baseline = tcpHandles();
    const master = await fakeMaster((s) => s.end());
    const { proxy, closeEvent } = await proxyTo(master.port);
    const replica = connectReplica(proxy);
    expect((await receiveAll(replica)).bytes).toBe(0);
    expect(await closeEvent(1)).toMatchObject({ by: 'master', reason: 'master closed the connection' });
    expect(proxy.links.size).toBe(0);
    await proxy.close();
    await master.close();
    await waitFor(() => tcpHandles() === baseline, 2_000, 'no TCP handle left');
  });

  it('a non-Redis master (HTTP banner): its bytes reach the replica unchanged, then the close', async () => {
    const baseline = tcpHandles();
    const banner = Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    const master = await fakeMaster((s) => s.end(banner));
    const { proxy, sent, closeEvent } = await proxyTo(master.port);
    const replica = connectReplica(proxy);
    replica.write('PING\r\n');
    expect(await receiveAll(replica)).toEqual({ sha: sha256(banner), bytes: banner.length });
    expect(Buffer.concat(sent.master)).toEqual(banner);
    expect((await closeEvent(1)).by).toBe('master');
    expect(proxy.links.size).toBe(0);
    await proxy.close();
    await master.close();
    await waitFor(() => tcpHandles() === baseline, 2_000, 'no TCP handle left');
  });

  it('a port in use: startProxy rejects with one line naming the address and what to do', async () => {
    const holder = await fakeMaster(() => {});
    const error = await startProxy({
      listen: { host: '127.0.0.1', port: holder.port },
      upstream: { host: '127.0.0.1', port: 6379 },
      onWire: () => {},
    }).catch((err: unknown) => err);
    await holder.close();
    expect(error).toBeInstanceOf(ReplSpyError);
    const e = error as ReplSpyError;
    expect(e.code).toBe('RSPY_LISTEN');
    expect(e.message).toContain(`127.0.0.1:${holder.port}`);
    expect(e.message).toContain('already in use');
    expect(e.message).toContain('--listen');
    expect(e.message).not.toContain('\n');
  });
});

describe.skipIf(!hasRedis)('proxy with bad clients in front of a real Redis', () => {
  let redis: RedisServer;
  let observed: Observed;
  let baseline: number;

  beforeAll(async () => {
    redis = await startRedis();
    baseline = tcpHandles();
    observed = await proxyTo(redis.port);
  });
  afterAll(async () => {
    await observed?.proxy.close();
    await waitFor(() => tcpHandles() === baseline, 2_000, 'no TCP handle left').finally(() => redis?.stop());
  });

  it('a client that connects and sends nothing, then closes', async () => {
    const client = connectReplica(observed.proxy);
    await new Promise((resolve) => client.once('connect', resolve));
    await waitFor(() => observed.events.some((e) => e.kind === 'open' && e.link === 1), 5_000, 'link open');
    client.end();
    expect(await observed.closeEvent(1)).toMatchObject({ by: 'replica', reason: 'replica closed the connection' });
    expect(observed.proxy.links.size).toBe(0);
  });

  it('garbage from a client: Redis answers with a protocol error and closes; every byte is forwarded', async () => {
    // Small enough to arrive in one read: Redis then closes with nothing unread (a FIN, not an RST).
    const garbage = Buffer.concat([Buffer.from('*abc\r\n'), randomBytes(100)]);
    const client = connectReplica(observed.proxy);
    const received = receiveAll(client);
    client.write(garbage);
    const reply = await received;
    const fromMaster = Buffer.concat(observed.sent.master);
    expect(fromMaster.toString('latin1')).toMatch(/^-ERR Protocol error/);
    expect(reply).toEqual({ sha: sha256(fromMaster), bytes: fromMaster.length });
    expect(await observed.closeEvent(2)).toMatchObject({ by: 'master', reason: 'master closed the connection' });
    // Redis stops reading after the error: what it got is a prefix of what was sent, tapped as forwarded.
    const forwarded = Buffer.concat(observed.sent.replica);
    expect(forwarded.length).toBeGreaterThan(0);
    expect(garbage.subarray(0, forwarded.length)).toEqual(forwarded);
    expect(observed.proxy.links.size).toBe(0);
  });

  it('random binary garbage then a half-close: the proxy forwards it all and stays up', async () => {
    const before = Buffer.concat(observed.sent.replica).length;
    const garbage = randomBytes(64 * 1024);
    const client = connectReplica(observed.proxy);
    const received = receiveAll(client);
    client.end(garbage);
    // Redis closes on the first bad byte; if garbage it never read is still queued, its kernel answers with a
    // reset, which the proxy mirrors to the client: both endings are transparent.
    await received.catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') throw err;
    });
    const closed = await observed.closeEvent(3);
    expect(['replica', 'master']).toContain(closed.by);
    const forwarded = Buffer.concat(observed.sent.replica).subarray(before);
    expect(garbage.subarray(0, forwarded.length)).toEqual(forwarded);
    expect(observed.proxy.links.size).toBe(0);
    expect(await redis.cmd('PING')).toBe('PONG');
  });
});
