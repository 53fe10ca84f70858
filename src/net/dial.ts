// Connections to a Redis server, plaintext or TLS with the flags' settings: the proxy's master leg, and every side
// connection (replay --to, the lab's own clients, INFO readers). One place decides how TLS is dialled and how a
// failure is told.
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import type { ClientTls } from './tls-options.js';
import { clientTlsProblem, problemText, resetAfterHandshake } from './tls-errors.js';

export interface Dialled {
  socket: Socket;
  /** the event after which the connection carries bytes: 'connect', or 'secureConnect' once TLS is up */
  ready: 'connect' | 'secureConnect';
}

/** Starts a connection; the caller listens for `ready` and 'error'. */
export function dialRedis(target: HostPort, tlsOptions: ClientTls | null, opts: { allowHalfOpen?: boolean } = {}): Dialled {
  const { host, port } = target;
  if (!tlsOptions) return { socket: net.connect({ host, port, allowHalfOpen: opts.allowHalfOpen }), ready: 'connect' };
  // tls.connect honours allowHalfOpen (it hands it to the TLSSocket); the typings do not list it.
  const options: tls.ConnectionOptions & { allowHalfOpen?: boolean } = {
    host,
    port,
    allowHalfOpen: opts.allowHalfOpen,
    secureContext: tlsOptions.secureContext,
    servername: tlsOptions.servername,
    rejectUnauthorized: tlsOptions.verify,
  };
  return { socket: tls.connect(options), ready: 'secureConnect' };
}

/** Connects and resolves once the connection carries bytes; rejects with one line saying what failed and, for TLS,
 *  which certificate problem and what to do. `role` names the server in that line ("master", "server"). */
export function connectRedis(target: HostPort, tlsOptions: ClientTls | null, role = 'server', timeoutMs = 10_000): Promise<Socket> {
  const { socket, ready } = dialRedis(target, tlsOptions);
  const where = formatHostPort(target.host, target.port);
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => {
      socket.destroy();
      reject(new Error(`cannot connect to ${where}: ${connectFailure(err, role, socket)}`, { cause: err }));
    };
    socket.setTimeout(timeoutMs, () => fail(timeoutError(timeoutMs, socket)));
    socket.once('error', fail);
    socket.once(ready, () => {
      socket.setTimeout(0);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** Why a connection to a Redis server failed, in one line: the TLS problem when it is one, else the error code. */
export function connectFailure(err: NodeJS.ErrnoException, role: string, socket?: Socket): string {
  return tlsFailure(err, role, socket) ?? `${err.code ?? 'ERROR'} ${err.message}`;
}

/** "TLS handshake failed: <problem>: <what to do>", or null when `err` is no TLS failure. A reset of a TLS
 *  connection that never carried a byte counts: a server that refuses the client certificate after TLSv1.3's
 *  handshake sends an alert, but a reset can overtake it. */
export function tlsFailure(err: NodeJS.ErrnoException, role: string, socket?: Socket): string | null {
  const silentRefusal = err.code === 'ECONNRESET' && socket instanceof tls.TLSSocket && socket.bytesRead === 0;
  const problem = silentRefusal ? resetAfterHandshake(role) : clientTlsProblem(err, role);
  return problem ? `TLS handshake failed: ${problemText(problem)}` : null;
}

/** The error a connection that is not up within `timeoutMs` ends with: no answer at all, or a TCP connection
 *  whose TLS handshake got no answer (a plaintext Redis port waits for the end of a command line). */
export function timeoutError(timeoutMs: number, socket: Socket): NodeJS.ErrnoException {
  if (socket instanceof tls.TLSSocket && !socket.connecting) {
    return Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ERR_TLS_HANDSHAKE_TIMEOUT' });
  }
  return Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
}

/** Ends a connection abruptly: an RST on plain TCP. A TLS connection's TCP socket is not ours to reset, so it is
 *  destroyed (a FIN). */
export function abortSocket(socket: Socket): void {
  if (socket instanceof tls.TLSSocket) socket.destroy();
  else socket.resetAndDestroy();
}
