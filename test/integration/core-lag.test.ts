// Replica lag as repl-spy measures it: master offset forwarded to the replica minus the offset it acknowledged.
// A replica acknowledges once a second and when asked (REPLCONF GETACK), so lag shows when an ACK reaches the
// proxy after newer master bytes were forwarded: a paused replica (SIGSTOP) answering a GETACK, or a delayed
// link. Asserted on bytes only.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { startSpy, waitForCaughtUp, type JsonEvent, type Spy } from '../helpers/spy.js';

const hasRedis = requireRedis();

describe.skipIf(!hasRedis)('replica lag through repl-spy', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let spy: Spy;

  beforeAll(async () => {
    master = await startRedis();
    spy = await startSpy(master.port);
    replica = await startReplicaThrough(spy.port);
    await waitForLinkUp(replica, 30_000);
    await master.cmd('SET', 'warm', 'up');
    await waitForCaughtUp(master, [replica], spy);
  });

  afterAll(async () => {
    replica?.resume();
    await replica?.stop();
    await spy?.close();
    await master?.stop();
  });

  it('a paused replica: the ACK that answers GETACK trails by the GETACK itself, then 0', async () => {
    const [link] = spy.links();
    const acksBefore = spy.of('ack', link).length;
    replica.pause();
    let masterOffset: number;
    let getack: JsonEvent;
    try {
      // Small enough to fit in the socket buffers: the proxy forwards all of it while the replica sleeps.
      for (let i = 0; i < 20; i++) await master.cmd('SET', `paused:${i}`, randomBytes(10_000));
      // WAIT makes the master send REPLCONF GETACK *; the paused replica cannot answer before the timeout.
      expect(await master.cmd('WAIT', 1, 50)).toBe(0);
      masterOffset = Number((await master.info('replication')).master_repl_offset);
      await waitFor(() => spy.last('command', link!)?.offset === masterOffset, 10_000, 'the proxy to forward the writes and GETACK');
      getack = spy.last('command', link!)!;
      expect(getack.argv.map((a: string) => a.toUpperCase())).toEqual(['REPLCONF', 'GETACK', '*']);
    } finally {
      replica.resume();
    }
    await waitForCaughtUp(master, [replica], spy);

    // Redis answers GETACK with the offset of the commands before it: the GETACK's own bytes are not yet counted.
    const acks = spy.of('ack', link).slice(acksBefore);
    expect(acks[0]).toMatchObject({ offset: getack.offset - getack.bytes, lagBytes: getack.bytes });
    expect(acks.at(-1)).toMatchObject({ offset: masterOffset, lagBytes: 0 });
  });

  it('latency on the link: ACKs trail the forwarded offset while the master writes, then come back to 0', async () => {
    const [link] = spy.links();
    const acksBefore = spy.of('ack', link).length;
    // Both directions delayed: an ACK reaches the proxy 300 ms after the replica sent it, by which time the
    // proxy has forwarded newer writes.
    spy.proxy.links.get(link!)!.apply({ kind: 'delay', ms: 300 });
    const lagging = () => spy.of('ack', link).slice(acksBefore).filter((a) => a.lagBytes > 0);
    // The replica ACKs once a second: write at a steady ~1 MB/s (far below what the delayed link holds) until
    // one of its ACKs comes back behind; bounded by time, not by a count a fast machine gets through first.
    const deadline = Date.now() + 20_000;
    for (let i = 0; lagging().length === 0; i++) {
      if (Date.now() > deadline) throw new Error(`no lagging ACK within 20 s (${i} writes)`);
      await master.cmd('SET', `delayed:${i % 100}`, randomBytes(1000));
      await sleep(1);
    }
    spy.proxy.links.get(link!)!.apply({ kind: 'delay', ms: 0 });
    await waitForCaughtUp(master, [replica], spy);
    expect(lagging()[0]!.lagBytes).toBeGreaterThan(1000);
    expect(spy.last('ack', link!)).toMatchObject({ lagBytes: 0 });
  });

  it('every ACK lag equals the offset forwarded before it minus the acknowledged offset', () => {
    let acks = 0;
    for (const link of spy.links()) {
      let forwarded: number | null = null;
      for (const e of spy.events.filter((x: JsonEvent) => x.link === link)) {
        if (e.type === 'fullresync') forwarded = e.offset;
        if (e.type === 'command') forwarded = e.offset;
        if (e.type === 'ack') {
          acks++;
          expect(e.lagBytes).toBe(Math.max(0, (forwarded ?? e.offset) - e.offset));
        }
      }
    }
    expect(acks).toBeGreaterThan(0);
  });
});
