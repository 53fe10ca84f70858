// The address a replica is known by to its master, checked at its PSYNC: behind a proxy the master sees the
// proxy's address unless the replica announces one (replica-announce-ip), and Sentinel, which reads it from the
// master's INFO, bypasses repl-spy unless it is one of repl-spy's listeners. Under every chunking of the handshake.
import { describe, expect, it } from 'vitest';
import type { ReplEvent, ReplicaAddressEvent, WireEvent } from '../../../../src/core/events.js';
import { createPipeline } from '../../../../src/decode/pipeline.js';
import { chunkings } from '../../../helpers/chunkings.js';
import { resp } from '../../../helpers/decode-case.js';

const LISTENERS = ['10.0.0.9:7001', '10.0.0.9:7002'];

function addressEvents(open: { replica: string; via?: string }, handshake: string, listeners: string[] | null = LISTENERS): ReplicaAddressEvent[][] {
  const bytes = Buffer.from(handshake, 'latin1');
  const out: ReplicaAddressEvent[][] = [];
  for (const { chunks } of chunkings(bytes, 3)) {
    const pipeline = createPipeline();
    const seen: ReplEvent[] = [];
    pipeline.subscribe((e) => seen.push(e));
    const wire: WireEvent[] = [{ kind: 'open', link: 1, at: 1, master: '10.0.0.5:6379', ...open, ...(listeners ? { listeners } : {}) }, ...chunks.map((chunk, i): WireEvent => ({ kind: 'bytes', link: 1, at: 2 + i, from: 'replica', chunk }))];
    for (const e of wire) pipeline.wire(e);
    out.push(seen.filter((e): e is ReplicaAddressEvent => e.type === 'replica-address'));
  }
  return out;
}

const psync = resp('PSYNC', '?', '-1');

describe('replica-address', () => {
  it('no REPLCONF ip-address and the proxy on another host: the master sees the proxy\'s address, said with the fix', () => {
    for (const events of addressEvents({ replica: '10.0.0.7:41000', via: '10.0.0.9:52000' }, resp('REPLCONF', 'listening-port', '6380') + psync)) {
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ link: 1, seenAs: '10.0.0.9:6380', announcedIp: false, throughProxy: false, master: '10.0.0.5:6379' });
      expect(events[0]!.warning).toMatch(/sees this replica \(10\.0\.0\.7:41000\) at repl-spy's address 10\.0\.0\.9.*replica-announce-ip and replica-announce-port/);
    }
  });

  it('a replica announcing its own listener of repl-spy: through the proxy, no warning', () => {
    for (const events of addressEvents({ replica: '10.0.0.7:41000', via: '10.0.0.9:52000' }, resp('REPLCONF', 'listening-port', '7002') + resp('REPLCONF', 'ip-address', '10.0.0.9') + psync)) {
      expect(events).toEqual([expect.objectContaining({ seenAs: '10.0.0.9:7002', announcedIp: true, throughProxy: true })]);
      expect(events[0]!.warning).toBeUndefined();
    }
  });

  it('a replica on the proxy\'s host announcing an address that is no listener: named as one Sentinel reaches directly', () => {
    for (const events of addressEvents({ replica: '10.0.0.9:41000', via: '10.0.0.9:52000' }, resp('REPLCONF', 'listening-port', '6380') + psync)) {
      expect(events[0]).toMatchObject({ seenAs: '10.0.0.9:6380', throughProxy: false });
      expect(events[0]!.warning).toMatch(/10\.0\.0\.9:6380, which is not a listener of repl-spy: Sentinel reaches it there directly/);
    }
  });

  it('listeners unknown (replay): the address without a verdict on them; no proxy in between (a packet capture): nothing', () => {
    for (const events of addressEvents({ replica: '10.0.0.9:41000', via: '10.0.0.9:52000' }, resp('REPLCONF', 'listening-port', '6380') + psync, null)) {
      expect(events).toEqual([expect.objectContaining({ seenAs: '10.0.0.9:6380', throughProxy: null })]);
      expect(events[0]!.warning).toBeUndefined();
    }
    for (const events of addressEvents({ replica: '10.0.0.7:41000' }, resp('REPLCONF', 'listening-port', '6380') + psync)) expect(events).toEqual([]);
  });
});
