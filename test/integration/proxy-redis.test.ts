// Real Redis through the proxy: a master with requirepass, replicas with masterauth, disk and diskless sync.
// Redis is the oracle: same DEBUG DIGEST, same offsets. A dumb relay behind the proxy witnesses the bytes the
// proxy wrote to each replica, so "tapped == forwarded" is checked against an independent observer.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../src/core/events.js';
import { startProxy, type Proxy } from '../../src/proxy/index.js';
import { requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { startRelay, type Relay } from '../helpers/tcp-peers.js';

const hasRedis = requireRedis();
const PASSWORD = 'pr0xy-s3cret';

describe.skipIf(!hasRedis).each([
  { mode: 'disk' as const, replicaCount: 2 },
  { mode: 'diskless' as const, replicaCount: 1 },
])('proxy with real Redis, $mode sync, $replicaCount replica(s)', ({ mode, replicaCount }) => {
  let master: RedisServer;
  let proxy: Proxy;
  const relays: Relay[] = [];
  const replicas: RedisServer[] = [];
  const wire: WireEvent[] = [];
  const masterBytes = new Map<number, Buffer[]>(); // per link, master→replica chunks as tapped
  const replicaBytes = new Map<number, Buffer[]>(); // per link, replica→master

  beforeAll(async () => {
    master = await startRedis({
      password: PASSWORD,
      // No master PINGs during the test: the master→replica direction goes quiet once writes are done.
      args: ['--repl-diskless-sync', mode === 'diskless' ? 'yes' : 'no', '--repl-ping-replica-period', '3600'],
    });
    await master.cmd('DEBUG', 'POPULATE', 20_000, 'key', 100);
    await master.cmd('SET', 'big-before-sync', randomBytes(1_500_000));
    proxy = await startProxy({
      listen: { host: '127.0.0.1', port: 0 },
      upstream: { host: '127.0.0.1', port: master.port },
      onWire: (e) => {
        if (e.kind !== 'bytes') return void wire.push(e);
        const byLink = e.from === 'master' ? masterBytes : replicaBytes;
        if (!byLink.has(e.link)) byLink.set(e.link, []);
        byLink.get(e.link)!.push(e.chunk); // never mutated by the proxy: keeping the reference is enough
      },
    });
    for (let i = 0; i < replicaCount; i++) {
      const relay = await startRelay(proxy.address().port);
      relays.push(relay);
      replicas.push(await startReplicaThrough(relay.port, { masterauth: PASSWORD }));
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await proxy?.close();
    await Promise.all(relays.map((r) => r.close()));
    await master?.stop();
  });

  it('replicas sync through the proxy and end with the master data and offsets', async () => {
    for (const replica of replicas) {
      await waitForLinkUp(replica, 30_000);
    }
    for (let i = 0; i < 300; i++) await master.cmd('SET', `after:${i}`, `value-${i}`);
    await master.cmd('SELECT', 3);
    await master.cmd('SET', 'in-db-3', randomBytes(300_000));
    await master.cmd('SELECT', 0);
    await master.cmd('INCRBY', 'counter', 42);
    await master.cmd('DEL', 'key:1', 'key:2');

    const masterOffset = Number((await master.info('replication')).master_repl_offset);
    expect(masterOffset).toBeGreaterThan(0);
    for (const replica of replicas) {
      await waitFor(
        async () => Number((await replica.info('replication')).slave_repl_offset) === masterOffset,
        30_000,
        `replica offset ${masterOffset}`,
      );
    }
    expect(Number((await master.info('replication')).master_repl_offset)).toBe(masterOffset);
    const digest = await master.cmd('DEBUG', 'DIGEST');
    expect(digest).toMatch(/^[0-9a-f]{40}$/);
    for (const replica of replicas) expect(await replica.cmd('DEBUG', 'DIGEST')).toBe(digest);
    expect(wire.filter((e) => e.kind === 'open')).toHaveLength(replicaCount);
    expect(wire.filter((e) => e.kind === 'close')).toEqual([]);
  });

  it('the tapped master stream accounts exactly for the replica offset', async () => {
    // All replicas caught up in the previous test, so each link's stream must end at the master's offset.
    const { master_replid, master_repl_offset } = await master.info('replication');
    for (const replica of replicas) {
      expect((await replica.info('replication')).slave_repl_offset).toBe(master_repl_offset);
    }
    expect(masterBytes.size).toBe(replicaCount);
    for (const chunks of masterBytes.values()) {
      const sync = splitSyncStream(Buffer.concat(chunks));
      expect(sync.mode).toBe(mode);
      expect(sync.replid).toBe(master_replid);
      expect(sync.offset + sync.commandStreamBytes).toBe(Number(master_repl_offset));
    }
  });

  it('SHA-256 of the tapped bytes equals SHA-256 of what the proxy wrote, seen by a relay behind it', async () => {
    const sha = (chunks: Buffer[]): string => chunks.reduce((h, c) => h.update(c), createHash('sha256')).digest('hex');
    const tappedDown = [...masterBytes.values()].map(sha).sort();
    const tappedUp = () => [...replicaBytes.values()].map(sha).sort();
    // Replicas ACK every second: wait for a moment where the relay and the tap have seen the same count.
    const bytesUp = () => [...replicaBytes.values()].map((cs) => cs.reduce((n, c) => n + c.length, 0)).sort();
    await waitFor(
      () => JSON.stringify(bytesUp()) === JSON.stringify(relays.map((r) => r.up.bytes).sort()),
      10_000,
      'relay and tap to agree on replica→master bytes',
    );
    const relayUp = relays.map((r) => r.up.hash.copy().digest('hex')).sort();
    const relayDown = relays.map((r) => r.down.hash.copy().digest('hex')).sort();
    expect(relayDown).toEqual(tappedDown);
    expect(relayUp).toEqual(tappedUp());
    for (const link of proxy.links.values()) {
      const tappedBytes = masterBytes.get(link.id)!.reduce((n, c) => n + c.length, 0);
      expect(link.stats().replica.bytesWritten).toBe(tappedBytes);
    }
  });
});

/** Splits a tapped master→replica stream of a full sync into its parts (independently of src/decode). */
function splitSyncStream(stream: Buffer): {
  replid: string;
  offset: number;
  mode: 'disk' | 'diskless';
  commandStreamBytes: number;
} {
  let pos = 0;
  const line = (): string => {
    const end = stream.indexOf('\r\n', pos);
    if (end < 0) throw new Error(`no CRLF after position ${pos}`);
    const text = stream.toString('latin1', pos, end);
    pos = end + 2;
    return text;
  };
  let fullresync: RegExpExecArray | null = null;
  while (!fullresync) fullresync = /^\+FULLRESYNC ([0-9a-f]{40}) (\d+)$/.exec(line());
  while (stream[pos] === 0x0a) pos++; // keepalives while the RDB is produced
  const header = line();
  let mode: 'disk' | 'diskless';
  if (header.startsWith('$EOF:')) {
    mode = 'diskless';
    const mark = header.slice(5);
    pos = stream.indexOf(mark, pos, 'latin1') + mark.length;
  } else {
    mode = 'disk';
    pos += Number(header.slice(1));
  }
  return { replid: fullresync[1]!, offset: Number(fullresync[2]), mode, commandStreamBytes: stream.length - pos };
}
