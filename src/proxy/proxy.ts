// The listener: accepts any number of replicas on one port and gives each its own link to the master.
import net, { type AddressInfo, type Socket } from 'node:net';
import type { WireLinkEvent, WireLinkSink } from '../core/events.js';
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import { createReplicaServer } from '../net/replica-server.js';
import type { ClientTls, ServerTls } from '../net/tls-options.js';
import { wireNow } from '../core/clock.js';
import { ProxyLink } from './link.js';
import { silentLogger, type ProxyLogger } from './logger.js';

export interface ProxyOptions {
  listen: HostPort;
  upstream: HostPort;
  /** Sees every wire event. Runs synchronously after the bytes are queued for writing; if it throws, the
   *  error is logged once and forwarding goes on. */
  onWire: WireLinkSink;
  logger?: ProxyLogger;
  /** How long to wait for the master to accept a connection, and for a replica's TLS handshake (default 10 s). */
  connectTimeoutMs?: number;
  /** Replicas connect with TLS (null or absent: plaintext). */
  listenTls?: ServerTls | null;
  /** The master leg is TLS (null or absent: plaintext). Either leg may be TLS without the other. */
  upstreamTls?: ClientTls | null;
  /** After a replica closed its side, how long its master may stay silent before its leg is closed (default
   *  10 s; 0: never). */
  halfCloseTimeoutMs?: number;
}

/** What one connection to the master at start found: it answers, it does not, or it is this proxy itself. */
export type MasterProbe = { kind: 'answers' } | { kind: 'unreachable'; code: string } | { kind: 'loop' };

export interface Proxy {
  /** The address actually listened on (port 0 resolved). */
  address(): HostPort;
  /** Dials the master once (TCP, and hangs up): tells an unreachable master, or an upstream that leads back to this
   *  very listener (which would forward each connection to itself until file descriptors run out). */
  probeMaster(): Promise<MasterProbe>;
  /** Live links by id (ids count from 1). A link leaves the map when both of its sockets are closed. */
  readonly links: Map<number, ProxyLink>;
  /** Stops listening, closes every link (`close` events with by: 'proxy'), resolves when all is closed. */
  close(): Promise<void>;
}

export async function startProxy(opts: ProxyOptions): Promise<Proxy> {
  const logger = opts.logger ?? silentLogger;
  const emit = guardedSink(opts.onWire, logger);
  const links = new Map<number, ProxyLink>();
  let nextLinkId = 1;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const probes = new ProbeLoops();

  // Replica sockets come paused: a replica's first bytes wait until its master leg is connected.
  const { server, dropHandshakes } = createReplicaServer({
    tls: opts.listenTls ?? null,
    handshakeTimeoutMs: connectTimeoutMs,
    onReplica(replicaSocket) {
      if (probes.isOwn(replicaSocket)) return void replicaSocket.destroy(); // never dial the master for our probe
      const link = new ProxyLink({
        id: nextLinkId++,
        replicaSocket,
        upstream: opts.upstream,
        upstreamTls: opts.upstreamTls ?? null,
        connectTimeoutMs,
        halfCloseTimeoutMs: opts.halfCloseTimeoutMs ?? 10_000,
        emit,
        logger,
        onClosed: (closed) => links.delete(closed.id),
      });
      links.set(link.id, link);
      logger.debug({ link: link.id, replica: link.replica }, 'replica connected');
    },
    // A replica turned away in its TLS handshake: a link of its own that opens and closes (no master was dialled).
    onRefused({ replica, by, reason }) {
      if (probes.isOwnAddress(replica)) return; // our probe, looped to a TLS listener, hung up in its handshake
      const link = nextLinkId++;
      logger.warn({ link, replica, reason }, 'replica refused');
      const at = wireNow();
      emit({ kind: 'open', link, at, replica, master: formatHostPort(opts.upstream.host, opts.upstream.port) });
      emit({ kind: 'close', link, at, by, reason: `replica ${replica}: ${reason}` });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(opts.listen, err)));
    server.listen(opts.listen.port, opts.listen.host, () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', (err) => logger.error({ err }, 'listener error; still serving'));
  // a TLS listener hands a replica over after its handshake: our probe is known at its TCP connection already
  server.on('connection', (raw: Socket) => probes.isOwn(raw) && raw.destroy());

  let closing: Promise<void> | null = null;
  return {
    address() {
      const { address, port } = server.address() as AddressInfo;
      return { host: address, port };
    },
    links,
    probeMaster() {
      return new Promise<MasterProbe>((resolve) => {
        const probe = net.connect({ host: opts.upstream.host, port: opts.upstream.port });
        const seen = probes.add(probe);
        const done = (result: MasterProbe): void => {
          probe.destroy();
          resolve(result);
        };
        probe.setTimeout(connectTimeoutMs, () => done({ kind: 'unreachable', code: 'ETIMEDOUT' }));
        probe.once('error', (err: NodeJS.ErrnoException) => done({ kind: 'unreachable', code: err.code ?? err.message }));
        // our listener may see the connection a moment after the probe does: give it that moment
        probe.once('connect', () => {
          seen.address = formatHostPort(probe.localAddress ?? '', probe.localPort ?? 0);
          setTimeout(() => done(seen.looped ? { kind: 'loop' } : { kind: 'answers' }), PROBE_SETTLE_MS);
        });
      });
    },
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        dropHandshakes();
        const linksClosed = [...links.values()].map((link) => {
          link.close('proxy shut down');
          return link.closed;
        });
        await Promise.all([serverClosed, ...linksClosed]);
      })();
      return closing;
    },
  };
}

/** How long after the probe connected its arrival on our own listener is awaited. */
const PROBE_SETTLE_MS = 100;

/** The probes this proxy sent to its master, to know them if they arrive at its own listener. Their local ends
 *  are kept: a looped probe's late events (a TLS handshake it left) are known as ours too. */
class ProbeLoops {
  private probes: { socket: Socket; address: string | null; looped: boolean }[] = [];

  add(socket: Socket): { address: string | null; looped: boolean } {
    const p = { socket, address: null, looped: false };
    this.probes.push(p);
    return p;
  }

  isOwn(socket: Socket): boolean {
    return this.isOwnAddress(formatHostPort(socket.remoteAddress ?? '', socket.remotePort ?? 0));
  }

  /** Marks the probe looped when `address` (a connection's remote end) is one of its local ends. */
  isOwnAddress(address: string): boolean {
    // the local end is readable once the connect began, before the probe's own 'connect' event
    const p = this.probes.find((x) => (x.address ?? formatHostPort(x.socket.localAddress ?? '', x.socket.localPort ?? 0)) === address);
    if (p) p.looped = true;
    return p !== undefined;
  }
}

/** The observer must never break forwarding: catch, log the first failure, keep going. */
function guardedSink(onWire: WireLinkSink, logger: ProxyLogger): WireLinkSink {
  let failed = false;
  return (e: WireLinkEvent) => {
    try {
      onWire(e);
    } catch (err) {
      if (failed) return;
      failed = true;
      logger.error({ err, link: e.link }, 'wire observer threw (logged once); forwarding continues');
    }
  };
}

function listenError(listen: HostPort, err: NodeJS.ErrnoException): ReplSpyError {
  const addr = formatHostPort(listen.host, listen.port);
  const known: Record<string, [string, string]> = {
    EADDRINUSE: ['the address is already in use', 'choose another port with --listen, or stop the process that holds it'],
    EACCES: ['permission denied', 'ports below 1024 need privileges: choose a higher port with --listen'],
    EADDRNOTAVAIL: ['no local interface has this address', 'listen on 127.0.0.1, 0.0.0.0 or an address of this machine'],
    ENOTFOUND: ['unknown host', 'check the host part of --listen'],
  };
  const [what, hint] = known[err.code ?? ''] ?? [err.message, 'check the --listen address'];
  return new ReplSpyError('RSPY_LISTEN', `cannot listen on ${addr}: ${what} (${err.code ?? 'error'})`, {
    hint,
    cause: err,
  });
}
