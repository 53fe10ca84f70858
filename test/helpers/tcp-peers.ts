// Plain TCP peers around an in-process proxy: a "master" server behind it and "replica" clients in front.
// Used to prove the forward path byte for byte without Redis in the way.
import { createHash, type Hash } from 'node:crypto';
import net from 'node:net';
import type { From, WireLinkEvent } from '../../src/core/events.js';
import { startProxy, type Proxy, type ProxyLink, type ProxyLogger } from '../../src/proxy/index.js';

export interface TappedDirection {
  hash: Hash;
  bytes: number;
  chunks: number;
}

export interface Harness {
  proxy: Proxy;
  upstream: net.Server;
  /** Every wire event except `bytes` (those are hashed into `tapped` instead of kept). */
  events: WireLinkEvent[];
  /** Tapped bytes per link and direction. */
  tapped(link: number, from: From): TappedDirection;
  /** Connects a replica through the proxy; resolves with both ends and the link once it is open. */
  connect(): Promise<{ replica: net.Socket; master: net.Socket; link: ProxyLink }>;
  /** Resolves with the `close` wire event of `link`. */
  closeEvent(link: number): Promise<WireLinkEvent & { kind: 'close' }>;
  stop(): Promise<void>;
}

export async function startHarness(
  opts: { onWire?: (e: WireLinkEvent) => void; logger?: ProxyLogger } = {},
): Promise<Harness> {
  const accepted: net.Socket[] = [];
  const acceptWaiters: ((s: net.Socket) => void)[] = [];
  const peers = new Set<net.Socket>(); // every peer socket, destroyed on stop() whatever a test left behind
  const track = (socket: net.Socket): net.Socket => {
    peers.add(socket);
    socket.once('close', () => peers.delete(socket));
    return socket;
  };
  const upstream = net.createServer({ allowHalfOpen: true }, (socket) => {
    track(socket);
    const waiter = acceptWaiters.shift();
    if (waiter) waiter(socket);
    else accepted.push(socket);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as net.AddressInfo).port;

  const events: WireLinkEvent[] = [];
  const tapped = new Map<string, TappedDirection>();
  const listeners: ((e: WireLinkEvent) => void)[] = [];
  const tappedFor = (link: number, from: From): TappedDirection => {
    const key = `${link}/${from}`;
    let t = tapped.get(key);
    if (!t) tapped.set(key, (t = { hash: createHash('sha256'), bytes: 0, chunks: 0 }));
    return t;
  };

  const proxy = await startProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: upstreamPort },
    logger: opts.logger,
    onWire: (e) => {
      if (e.kind === 'bytes') {
        const t = tappedFor(e.link, e.from);
        t.hash.update(e.chunk);
        t.bytes += e.chunk.length;
        t.chunks++;
      } else {
        events.push(e);
      }
      for (const l of listeners) l(e);
      opts.onWire?.(e);
    },
  });

  const nextAccepted = (): Promise<net.Socket> =>
    new Promise((resolve) => {
      const ready = accepted.shift();
      if (ready) resolve(ready);
      else acceptWaiters.push(resolve);
    });

  const waitEvent = <K extends WireLinkEvent['kind']>(kind: K, link?: number): Promise<Extract<WireLinkEvent, { kind: K }>> =>
    new Promise((resolve) => {
      const seen = events.find((e) => e.kind === kind && (link === undefined || e.link === link));
      if (seen) return resolve(seen as Extract<WireLinkEvent, { kind: K }>);
      const listener = (e: WireLinkEvent): void => {
        if (e.kind !== kind || (link !== undefined && e.link !== link)) return;
        listeners.splice(listeners.indexOf(listener), 1);
        resolve(e as Extract<WireLinkEvent, { kind: K }>);
      };
      listeners.push(listener);
    });

  return {
    proxy,
    upstream,
    events,
    tapped: tappedFor,
    async connect() {
      const replica = track(net.connect({ host: '127.0.0.1', port: proxy.address().port, allowHalfOpen: true }));
      await new Promise<void>((resolve, reject) => {
        replica.once('connect', resolve);
        replica.once('error', reject);
      });
      const master = await nextAccepted();
      const linkId = Math.max(...proxy.links.keys());
      await waitEvent('open', linkId);
      const link = proxy.links.get(linkId)!;
      // `open` comes when the replica is accepted; the link forwards once the proxy saw its master leg connect
      while (link.state === 'connecting') await new Promise((resolve) => setTimeout(resolve, 1));
      return { replica, master, link };
    },
    closeEvent: (link) => waitEvent('close', link),
    async stop() {
      for (const socket of peers) socket.destroy();
      await proxy.close();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    },
  };
}

/** Writes `data` in pieces, honouring backpressure; resolves when all is queued (then ends if asked).
 *  `sawBackpressure` tells whether write() ever returned false. */
export async function sendAll(
  socket: net.Socket,
  data: Buffer,
  opts: { pieceBytes?: number; end?: boolean } = {},
): Promise<{ sawBackpressure: boolean }> {
  const piece = opts.pieceBytes ?? 64 * 1024;
  let sawBackpressure = false;
  for (let pos = 0; pos < data.length; pos += piece) {
    if (!socket.write(data.subarray(pos, pos + piece))) {
      sawBackpressure = true;
      await new Promise((resolve) => socket.once('drain', resolve));
    }
  }
  if (opts.end) socket.end();
  return { sawBackpressure };
}

/** Reads until the peer's FIN; resolves with the SHA-256 and byte count of everything received.
 *  `slow` pauses after every chunk for a macrotask, making a deliberately slow reader. */
export function receiveAll(socket: net.Socket, opts: { slow?: boolean } = {}): Promise<{ sha: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      if (opts.slow) {
        socket.pause();
        setTimeout(() => socket.resume(), 1);
      }
    });
    socket.once('end', () => resolve({ sha: hash.digest('hex'), bytes }));
    socket.once('error', reject);
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Resolves with the error a socket emits (e.g. ECONNRESET when the proxy mirrors a reset). */
export function nextError(socket: net.Socket): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve) => socket.once('error', resolve));
}

/** Number of live TCP handles in this process (sockets and servers), to prove nothing leaked. */
export function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

export interface Relay {
  port: number;
  /** bytes the relay received from the target (towards the client) */
  down: TappedDirection;
  /** bytes the relay received from the client (towards the target) */
  up: TappedDirection;
  close(): Promise<void>;
}

/** A dumb stream.pipe() relay in front of `targetPort` that hashes what passes: an independent witness of
 *  the bytes the proxy wrote to a replica (which a real redis-server cannot tell us). */
export async function startRelay(targetPort: number): Promise<Relay> {
  const down: TappedDirection = { hash: createHash('sha256'), bytes: 0, chunks: 0 };
  const up: TappedDirection = { hash: createHash('sha256'), bytes: 0, chunks: 0 };
  const sockets = new Set<net.Socket>();
  const count = (t: TappedDirection) => (chunk: Buffer) => {
    t.hash.update(chunk);
    t.bytes += chunk.length;
    t.chunks++;
  };
  const server = net.createServer((client) => {
    const target = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, target]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        target.destroy();
      });
    }
    client.on('data', count(up));
    target.on('data', count(down));
    client.pipe(target);
    target.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    down,
    up,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
