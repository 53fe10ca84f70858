// One accepted replica connection and the master connection dialled for it: two pipes, one lifecycle.
// Half-close is mirrored (each side's FIN becomes an end() on the other), an error on one leg resets the other,
// and exactly one `close` wire event says who ended the link and why. Its `open` event comes first: when the
// master leg is connected (with both legs' TLS facts), or just before the close of a link that never reached its
// master. A master that stays silent after the replica closed its side is closed after the half-close timeout, so
// silent masters leak no sockets. Faults (the lab's, or the TUI's keys with --faults) are stages between the pipes
// and the sockets (link-faults.ts), or a cut.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { From, LinkTls, WireLinkSink } from '../core/events.js';
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import { abortSocket, dialRedis, timeoutError, tlsFailure } from '../net/dial.js';
import { tlsLegOf } from '../net/tls-leg.js';
import type { ClientTls } from '../net/tls-options.js';
import { wireNow } from '../core/clock.js';
import { faultText, type LinkFault } from '../core/fault-action.js';
import { FaultChain, LinkFaults } from './link-faults.js';
import type { ProxyLogger } from './logger.js';
import { Pipe, SocketOutlet } from './pipe.js';

export type LinkState = 'connecting' | 'open' | 'closed';

export interface LegStats {
  bytesRead: number;
  /** bytes accepted for writing (sent or still queued in the socket) */
  bytesWritten: number;
  /** bytes queued in the socket, not yet handed to the kernel */
  writableLength: number;
}

export interface LinkOptions {
  id: number;
  /** plaintext, or TLS with the handshake done */
  replicaSocket: Socket;
  upstream: HostPort;
  /** dial the master with TLS (null: plaintext) */
  upstreamTls: ClientTls | null;
  connectTimeoutMs: number;
  /** After the replica closed its side: how long the master may send nothing before the proxy closes its leg. */
  halfCloseTimeoutMs: number;
  emit: WireLinkSink;
  logger: ProxyLogger;
  /** Called once both sockets are closed, just before the `close` wire event. */
  onClosed: (link: ProxyLink) => void;
}

export class ProxyLink {
  readonly id: number;
  /** "ip:port" of the replica's socket */
  readonly replica: string;
  /** "host:port" dialled for this replica */
  readonly master: string;
  state: LinkState = 'connecting';
  /** Resolves once both sockets are closed and the `close` wire event went out. */
  readonly closed: Promise<void>;

  private readonly replicaSocket: Socket;
  private readonly masterSocket: Socket;
  private readonly emit: WireLinkSink;
  private readonly logger: ProxyLogger;
  private readonly notifyClosed: (link: ProxyLink) => void;
  private pipes: Pipe[] = [];
  private endedBy: From | 'proxy' | null = null;
  private endReason = '';
  private openSockets = 2;
  private opened = false;
  /** What each TLS leg negotiated, read once its handshake is done (a destroyed socket no longer tells). */
  private readonly tls: LinkTls = {};
  private readonly faults = new LinkFaults((fault, detail) => this.fault(fault, detail));
  private resolveClosed!: () => void;

  constructor(opts: LinkOptions) {
    this.id = opts.id;
    this.replicaSocket = opts.replicaSocket;
    this.emit = opts.emit;
    this.logger = opts.logger;
    this.notifyClosed = opts.onClosed;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const { remoteAddress, remotePort } = this.replicaSocket;
    this.replica = remoteAddress && remotePort ? formatHostPort(remoteAddress, remotePort) : 'unknown';
    this.master = formatHostPort(opts.upstream.host, opts.upstream.port);

    if (this.replicaSocket instanceof TLSSocket) this.tls.replica = tlsLegOf(this.replicaSocket);
    this.replicaSocket.setNoDelay(true);
    this.watch(this.replicaSocket, 'replica');
    this.replicaSocket.once('end', () => this.watchSilentMaster(opts.halfCloseTimeoutMs));

    const { socket, ready } = dialRedis(opts.upstream, opts.upstreamTls, { allowHalfOpen: true });
    this.masterSocket = socket;
    this.masterSocket.setNoDelay(true);
    const connectTimedOut = (): void => {
      this.masterSocket.destroy(timeoutError(opts.connectTimeoutMs, this.masterSocket));
    };
    this.masterSocket.setTimeout(opts.connectTimeoutMs, connectTimedOut);
    this.masterSocket.once(ready, () => {
      this.masterSocket.setTimeout(0, connectTimedOut);
      this.onMasterConnected();
    });
    this.watch(this.masterSocket, 'master');
  }

  /** Carries out a fault now; its `fault` wire event comes first. A cut closes both sides at once (the lab's
   *  "network cut"); the others hold bytes back or cut chunks up, never drop one. */
  apply(fault: LinkFault, why = faultText(fault)): void {
    checkFault(fault);
    if (this.state === 'closed') return;
    if (fault.kind !== 'cut') return this.faults.apply(fault);
    this.fault('cut', { reason: why });
    this.end('proxy', `cut: ${why}`);
    this.replicaSocket.destroy();
    this.masterSocket.destroy();
  }

  /** Socket counters of both legs, read on demand (the forward path keeps no counters). */
  stats(): { replica: LegStats; master: LegStats; heldBytes: number } {
    return {
      replica: legStats(this.replicaSocket),
      master: legStats(this.masterSocket),
      heldBytes: this.faults.heldBytes,
    };
  }

  /** Used by the proxy when it shuts down. */
  close(reason: string): void {
    if (this.state === 'closed') return;
    this.end('proxy', reason);
    this.replicaSocket.destroy();
    this.masterSocket.destroy();
  }

  private onMasterConnected(): void {
    this.state = 'open';
    if (this.masterSocket instanceof TLSSocket) this.tls.master = tlsLegOf(this.masterSocket);
    this.sendOpen();
    const tap = (from: From, chunk: Buffer): void =>
      this.emit({ kind: 'bytes', link: this.id, at: wireNow(), from, chunk });
    const chains = [
      [this.replicaSocket, this.masterSocket],
      [this.masterSocket, this.replicaSocket],
    ].map(([src, dst], i) => {
      const from: From = i === 0 ? 'replica' : 'master';
      const socket = new SocketOutlet(dst!, from, tap);
      return new FaultChain(new Pipe(from, src!, socket), socket);
    });
    this.pipes = chains.map((c) => c.pipe);
    this.faults.attach(chains);
    for (const pipe of this.pipes) pipe.start();
  }

  /** The link's `open` wire event, once: every link has one before its `close`. */
  private sendOpen(): void {
    if (this.opened) return;
    this.opened = true;
    const tls = this.tls.replica || this.tls.master ? this.tls : undefined;
    const via = this.masterSocket.localAddress ? { via: formatHostPort(this.masterSocket.localAddress, this.masterSocket.localPort ?? 0) } : {};
    this.emit({ kind: 'open', link: this.id, at: wireNow(), replica: this.replica, master: this.master, ...via, ...(tls ? { tls } : {}) });
  }

  private watch(socket: Socket, side: From): void {
    const other = (): Socket => (side === 'replica' ? this.masterSocket : this.replicaSocket);
    socket.on('end', () => this.end(side, `${side} closed the connection`));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A TLS socket can report an error (a TLS alert after the peer's FIN) and stay half open; it never closes
      // by itself then, and neither would the link.
      if (!socket.destroyed) socket.destroy();
      const code = err.code ?? 'ERROR';
      // A master that refuses our client certificate says so after TLSv1.3's handshake is done, on an open link.
      const tls = side === 'master' ? tlsFailure(err, 'master', socket) : null;
      if (side === 'master' && this.state === 'connecting') {
        // A reset while connecting means the master accepted (or its kernel did) and then reset: it was reached.
        const reason = tls
          ? `master ${this.master}: ${tls}`
          : code === 'ECONNRESET'
            ? `master ${this.master} reset the connection (ECONNRESET) as it was opened`
            : `master ${this.master} unreachable: ${code}`;
        this.end('master', reason);
        this.logger.warn({ link: this.id, master: this.master, code }, `${reason}; replica connection closed`);
        if (code === 'ECONNRESET') abortSocket(this.replicaSocket);
        else this.replicaSocket.destroy();
        return;
      }
      if (tls) {
        this.end('master', `master ${this.master}: ${tls}`);
      } else if (code === 'ECONNRESET') {
        this.end(side, `${side} reset the connection (ECONNRESET)`);
      } else {
        this.end(side, `${side} connection failed: ${code} ${err.message}`);
      }
      // Mirror the abrupt end: an RST to the peer (a plain destroy if the master is still being dialled).
      const peer = other();
      if (peer.destroyed) return;
      if (peer.connecting) peer.destroy();
      else abortSocket(peer);
    });
    socket.on('close', () => {
      if (--this.openSockets === 0) this.onClosed();
    });
  }

  /** The replica closed its side (its FIN went on to the master): from now on, a master that sends nothing for
   *  `ms` has its leg closed, and the link with it. Bytes held back by a slow replica do not count as silence. */
  private watchSilentMaster(ms: number): void {
    if (this.state === 'closed' || ms <= 0) return;
    this.masterSocket.setTimeout(ms, () => {
      if (this.state === 'closed') return;
      if (this.pipes.some((p) => p.from === 'master' && p.holding)) return this.watchSilentMaster(ms);
      this.endReason += `; the master sent nothing for ${ms / 1000} s after that (--half-close-timeout): closed by the proxy`;
      this.masterSocket.destroy();
      this.replicaSocket.destroy();
    });
  }

  /** Records who ended the link first and why; later ends (the mirrored side) do not overwrite it. */
  private end(by: From | 'proxy', reason: string): void {
    if (this.endedBy !== null) return;
    this.endedBy = by;
    this.endReason = reason;
  }

  private onClosed(): void {
    this.state = 'closed';
    this.faults.stop();
    this.notifyClosed(this);
    this.sendOpen();
    this.emit({
      kind: 'close',
      link: this.id,
      at: wireNow(),
      by: this.endedBy ?? 'proxy',
      reason: this.endReason || 'closed',
    });
    this.resolveClosed();
  }

  private fault(fault: string, detail: Record<string, unknown>): void {
    this.emit({ kind: 'fault', link: this.id, at: wireNow(), fault, detail });
  }
}

function legStats(socket: Socket): LegStats {
  return { bytesRead: socket.bytesRead, bytesWritten: socket.bytesWritten, writableLength: socket.writableLength };
}

function checkFault(f: LinkFault): void {
  if (f.kind === 'freeze' || f.kind === 'delay') checkNonNegative(f.kind, f.ms);
  else if (f.kind === 'bandwidth' && f.bytesPerSec !== null) checkNonNegative('bandwidth', f.bytesPerSec, 1);
  else if (f.kind === 'slice' && f.maxBytes !== null) checkNonNegative('slice', f.maxBytes, 1);
}

function checkNonNegative(what: string, value: number, min = 0): void {
  if (!Number.isFinite(value) || value < min) {
    throw new ReplSpyError('RSPY_BAD_ARGS', `${what}: ${value} is not a valid value`, {
      hint: `use a finite number >= ${min}`,
    });
  }
}
