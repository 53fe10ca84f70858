// One accepted replica connection and the master connection dialled for it: two pipes, one lifecycle.
// Half-close is mirrored (each side's FIN becomes an end() on the other), an error on one leg resets the other,
// and exactly one `close` wire event says who ended the link and why. Its `open` event comes first: when the
// master leg is connected (with both legs' TLS facts), or just before the close of a link that never reached its
// master. A master that stays silent after the replica closed its side is closed after the half-close timeout, so
// silent masters leak no sockets. The lab's fault controls live here too.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { From, LinkTls, WireLinkSink } from '../core/events.js';
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import { abortSocket, dialRedis, timeoutError, tlsFailure } from '../net/dial.js';
import { tlsLegOf } from '../net/tls-leg.js';
import type { ClientTls } from '../net/tls-options.js';
import { wireNow } from '../core/clock.js';
import type { ProxyLogger } from './logger.js';
import { Pipe } from './pipe.js';

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
  private freezeTimer: NodeJS.Timeout | null = null;
  // faults in force, also for pipes created later (a fault set while the master leg is still connecting)
  private delayMs = 0;
  private bandwidth: number | null = null;
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

  /** Closes both sides now (the lab's "network cut"). */
  cut(reason = 'cut'): void {
    if (this.state === 'closed') return;
    this.fault('cut', { reason });
    this.end('proxy', `cut: ${reason}`);
    this.replicaSocket.destroy();
    this.masterSocket.destroy();
  }

  /** Stops forwarding both ways for `ms` (connections stay up; bytes wait, in order), then resumes. */
  freeze(ms: number): void {
    checkNonNegative('freeze', ms);
    if (this.state === 'closed') return;
    if (this.freezeTimer) clearTimeout(this.freezeTimer);
    this.fault('freeze', { ms });
    for (const pipe of this.pipes) pipe.setFrozen(true);
    this.freezeTimer = setTimeout(() => {
      this.freezeTimer = null;
      this.fault('freeze-end', { ms }); // before the held bytes flow, so events stay in wire order
      for (const pipe of this.pipes) pipe.setFrozen(false);
    }, ms);
  }

  /** Adds `ms` of latency to every chunk, both ways, order kept. 0 turns it off. */
  setDelay(ms: number): void {
    checkNonNegative('delay', ms);
    if (this.state === 'closed') return;
    this.delayMs = ms;
    for (const pipe of this.pipes) pipe.setDelay(ms);
    this.fault('delay', { ms });
  }

  /** Limits master→replica to `bytesPerSec` (the master socket is paused when the limit holds bytes back);
   *  null removes the limit. */
  setBandwidth(bytesPerSec: number | null): void {
    if (bytesPerSec !== null) checkNonNegative('bandwidth', bytesPerSec, 1);
    if (this.state === 'closed') return;
    this.bandwidth = bytesPerSec;
    this.pipes.find((p) => p.from === 'master')?.setBandwidth(bytesPerSec);
    this.fault('bandwidth', { bytesPerSec });
  }

  /** Socket counters of both legs, read on demand (the forward path keeps no counters). */
  stats(): { replica: LegStats; master: LegStats; heldBytes: number } {
    return {
      replica: legStats(this.replicaSocket),
      master: legStats(this.masterSocket),
      heldBytes: this.pipes.reduce((sum, p) => sum + p.heldBytes, 0),
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
    this.pipes = [
      new Pipe('replica', this.replicaSocket, this.masterSocket, tap),
      new Pipe('master', this.masterSocket, this.replicaSocket, tap),
    ];
    for (const pipe of this.pipes) {
      if (this.freezeTimer) pipe.setFrozen(true);
      if (this.delayMs > 0) pipe.setDelay(this.delayMs);
      if (pipe.from === 'master' && this.bandwidth !== null) pipe.setBandwidth(this.bandwidth);
      pipe.start();
    }
  }

  /** The link's `open` wire event, once: every link has one before its `close`. */
  private sendOpen(): void {
    if (this.opened) return;
    this.opened = true;
    const tls = this.tls.replica || this.tls.master ? this.tls : undefined;
    this.emit({ kind: 'open', link: this.id, at: wireNow(), replica: this.replica, master: this.master, ...(tls ? { tls } : {}) });
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
    if (this.freezeTimer) clearTimeout(this.freezeTimer);
    for (const pipe of this.pipes) pipe.stop();
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

function checkNonNegative(what: string, value: number, min = 0): void {
  if (!Number.isFinite(value) || value < min) {
    throw new ReplSpyError('RSPY_BAD_ARGS', `${what}: ${value} is not a valid value`, {
      hint: `use a finite number >= ${min}`,
    });
  }
}
