// Records a replication session from real servers, in the shape of the corpus's sessions (WireSession): every
// link's bytes both ways with the times they crossed the proxy, and the servers' own INFO replication at the end.
// So the decoders are tested on real Redis bytes without the corpus.
import type { WireLinkEvent } from '../../src/core/events.js';
import { startProxy, type Proxy } from '../../src/proxy/index.js';
import type { RedisServer } from './redis.js';
import type { RecordedConn, WireSession } from './wire-corpus.js';

export interface Recorder {
  proxy: Proxy;
  port: number;
  /** The session so far, with the INFO of the servers as they are now. */
  session(master: RedisServer, replicas: RedisServer[], passwordSet: boolean): Promise<WireSession>;
  close(): Promise<void>;
}

export async function startRecorder(name: string, masterPort: number): Promise<Recorder> {
  const t0 = performance.timeOrigin + performance.now();
  const conns = new Map<number, { r2m: Buffer[]; m2r: Buffer[]; reads: RecordedConn['reads'] }>();
  const onWire = (e: WireLinkEvent): void => {
    if (e.kind !== 'bytes') return;
    let c = conns.get(e.link);
    if (!c) conns.set(e.link, (c = { r2m: [], m2r: [], reads: [] }));
    (e.from === 'master' ? c.m2r : c.r2m).push(Buffer.from(e.chunk)); // the proxy hands out its own buffers
    c.reads.push({ t: e.at - t0, from: e.from, len: e.chunk.length });
  };
  const proxy = await startProxy({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: masterPort }, onWire });
  return {
    proxy,
    port: proxy.address().port,
    close: () => proxy.close(),
    async session(master, replicas, passwordSet) {
      const meta = {
        master_info_replication: await master.info('replication'),
        replica_info_replication: await Promise.all(replicas.map((r) => r.info('replication'))),
        password_set: passwordSet,
      };
      const recorded = [...conns].sort(([a], [b]) => a - b).map(([conn, c]) => ({ conn, r2m: Buffer.concat(c.r2m), m2r: Buffer.concat(c.m2r), reads: c.reads }));
      return { name, conns: recorded, meta };
    },
  };
}
