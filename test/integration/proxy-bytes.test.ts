// The forward path with plain TCP peers: every byte arrives unchanged both ways, the tap sees exactly the
// forwarded bytes, backpressure keeps memory bounded, half-close and resets are mirrored.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { nextError, receiveAll, sendAll, sha256, startHarness, type Harness } from '../helpers/tcp-peers.js';

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.stop();
  harness = null;
});

describe('proxy forward path (plain TCP peers)', () => {
  it('forwards tens of MB both ways unchanged to a slow reader, with bounded socket buffers', async () => {
    let maxQueuedBytes = 0;
    let samples = 0;
    harness = await startHarness({
      onWire: (e) => {
        const link = harness?.proxy.links.get(e.link);
        if (!link) return;
        const { replica, master } = link.stats();
        maxQueuedBytes = Math.max(maxQueuedBytes, replica.writableLength, master.writableLength);
        samples++;
      },
    });
    const { replica, master, link } = await harness.connect();
    const down = randomBytes(32 * 1024 * 1024); // master → replica, read slowly
    const up = randomBytes(8 * 1024 * 1024); // replica → master

    const received = Promise.all([receiveAll(replica, { slow: true }), receiveAll(master)]);
    const [downSend] = await Promise.all([sendAll(master, down, { end: true }), sendAll(replica, up, { end: true })]);
    const [atReplica, atMaster] = await received;
    const closed = await harness.closeEvent(link.id);

    expect(atReplica).toEqual({ sha: sha256(down), bytes: down.length });
    expect(atMaster).toEqual({ sha: sha256(up), bytes: up.length });
    expect(harness.tapped(link.id, 'master').hash.digest('hex')).toBe(sha256(down));
    expect(harness.tapped(link.id, 'replica').hash.digest('hex')).toBe(sha256(up));
    // The slow reader pushed back on the master peer, and the proxy never queued more than a few MB.
    expect(downSend.sawBackpressure).toBe(true);
    expect(samples).toBeGreaterThan(100); // the bound below was sampled, not left at its initial 0
    expect(maxQueuedBytes).toBeLessThan(2 * 1024 * 1024);
    expect(closed.kind).toBe('close');
    expect(harness.proxy.links.size).toBe(0);
  });

  it('queues bytes the replica sends before the master leg is up, and forwards them in order', async () => {
    harness = await startHarness();
    const data = randomBytes(3 * 1024 * 1024);
    const net = await import('node:net');
    // Write at once, before the proxy has even dialled the master.
    const replica = net.connect({ host: '127.0.0.1', port: harness.proxy.address().port, allowHalfOpen: true });
    replica.end(data);
    const master = await new Promise<import('node:net').Socket>((resolve) => harness!.upstream.once('connection', resolve));
    const atMaster = await receiveAll(master);
    expect(atMaster).toEqual({ sha: sha256(data), bytes: data.length });
    master.end();
    const closed = await harness.closeEvent(1);
    expect(closed).toMatchObject({ by: 'replica', reason: 'replica closed the connection' });
  });

  it('mirrors a half-close from the replica: the master can still answer', async () => {
    harness = await startHarness();
    const { replica, master, link } = await harness.connect();
    const atMaster = receiveAll(master);
    replica.end(Buffer.from('PING\r\n'));
    expect(await atMaster).toEqual({ sha: sha256(Buffer.from('PING\r\n')), bytes: 6 });
    const atReplica = receiveAll(replica);
    master.end(Buffer.from('+PONG\r\n'));
    expect((await atReplica).sha).toBe(sha256(Buffer.from('+PONG\r\n')));
    expect(await harness.closeEvent(link.id)).toMatchObject({ by: 'replica', reason: 'replica closed the connection' });
    expect(harness.proxy.links.size).toBe(0);
  });

  it('mirrors a half-close from the master: the replica can still send', async () => {
    harness = await startHarness();
    const { replica, master, link } = await harness.connect();
    const atReplica = receiveAll(replica);
    master.end(Buffer.from('banner\n'));
    expect((await atReplica).bytes).toBe(7);
    const atMaster = receiveAll(master);
    replica.end(Buffer.from('bye\n'));
    expect((await atMaster).sha).toBe(sha256(Buffer.from('bye\n')));
    expect(await harness.closeEvent(link.id)).toMatchObject({ by: 'master', reason: 'master closed the connection' });
  });

  it('mirrors a reset from the replica to the master', async () => {
    harness = await startHarness();
    const { replica, master, link } = await harness.connect();
    const masterError = nextError(master);
    replica.resetAndDestroy();
    expect((await masterError).code).toBe('ECONNRESET');
    expect(await harness.closeEvent(link.id)).toMatchObject({ by: 'replica', reason: expect.stringContaining('ECONNRESET') });
  });

  it('mirrors a reset from the master to the replica', async () => {
    harness = await startHarness();
    const { replica, master, link } = await harness.connect();
    const replicaError = nextError(replica);
    master.resetAndDestroy();
    expect((await replicaError).code).toBe('ECONNRESET');
    expect(await harness.closeEvent(link.id)).toMatchObject({ by: 'master', reason: expect.stringContaining('ECONNRESET') });
    expect(harness.proxy.links.size).toBe(0);
  });

  it('keeps forwarding when the wire observer throws, and logs that once', async () => {
    const logged: string[] = [];
    const logger = { debug() {}, warn() {}, error: (_: object, msg: string) => void logged.push(msg) };
    harness = await startHarness({
      logger,
      onWire: () => {
        throw new Error('observer bug');
      },
    });
    const { replica, master, link } = await harness.connect();
    const data = randomBytes(1024 * 1024);
    const atMaster = receiveAll(master);
    await sendAll(replica, data, { end: true, pieceBytes: 4096 });
    expect(await atMaster).toEqual({ sha: sha256(data), bytes: data.length });
    master.end();
    await harness.closeEvent(link.id);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/observer threw/);
  });

  it('serves several replicas on one port, each with its own master connection and link id', async () => {
    harness = await startHarness();
    const a = await harness.connect();
    const b = await harness.connect();
    expect([a.link.id, b.link.id]).toEqual([1, 2]);
    const atA = receiveAll(a.replica);
    const atB = receiveAll(b.replica);
    a.master.end('to a');
    b.master.end('to b');
    expect((await atA).sha).toBe(sha256(Buffer.from('to a')));
    expect((await atB).sha).toBe(sha256(Buffer.from('to b')));
    a.replica.end();
    b.replica.end();
    await Promise.all([harness.closeEvent(1), harness.closeEvent(2)]);
    const opens = harness.events.filter((e) => e.kind === 'open');
    expect(opens).toHaveLength(2);
    expect(opens[0]).toMatchObject({ link: 1, master: `127.0.0.1:${(harness.upstream.address() as { port: number }).port}` });
    expect(harness.proxy.links.size).toBe(0);
  });
});
