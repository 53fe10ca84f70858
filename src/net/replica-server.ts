// The server replicas connect to: plaintext, or TLS with the listener flags. A replica is handed over only once
// its connection can carry bytes: the TLS handshake done and, with --tls-ca, its certificate accepted. One that
// fails the handshake is refused with the reason (plaintext to a TLS port, no or a foreign client certificate,
// our certificate rejected), and never gets a connection to the master. Handed-over sockets are paused: their
// first bytes wait until the owner reads.
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { formatHostPort } from '../core/host-port.js';
import { clientCertProblem, problemText, serverTlsProblem } from './tls-errors.js';
import { certificateNames } from './tls-leg.js';
import type { ServerTls } from './tls-options.js';

export interface ReplicaServerOptions {
  tls: ServerTls | null;
  handshakeTimeoutMs: number;
  onReplica(socket: Socket): void;
  /** `by`: who ended it ('replica' when it sent a TLS alert, else 'proxy') */
  onRefused(refusal: { replica: string; by: 'replica' | 'proxy'; reason: string }): void;
}

export interface ReplicaServer {
  server: net.Server;
  /** Ends connections still in their TLS handshake (so a server close does not wait for them). */
  dropHandshakes(): void;
}

export function createReplicaServer(opts: ReplicaServerOptions): ReplicaServer {
  const settings = { allowHalfOpen: true, pauseOnConnect: true };
  if (!opts.tls) return { server: net.createServer(settings, opts.onReplica), dropHandshakes: () => undefined };

  const config = opts.tls;
  // rejectUnauthorized stays off: Node would drop a foreign certificate without saying why; we check and tell.
  const server = tls.createServer({
    ...settings,
    ...config.options,
    requestCert: config.requireClientCert,
    rejectUnauthorized: false,
    handshakeTimeout: opts.handshakeTimeoutMs,
  });
  const handshaking = new Map<string, Socket>(); // by the replica's address: the TLS socket does not name its TCP socket
  server.on('connection', (raw: Socket) => {
    const replica = remoteOf(raw);
    handshaking.set(replica, raw);
    raw.once('close', () => handshaking.get(replica) === raw && handshaking.delete(replica));
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    handshaking.delete(remoteOf(socket));
    if (config.requireClientCert && !socket.authorized) {
      const subject = certificateNames(socket.getPeerCertificate())?.subject ?? null;
      const problem = clientCertProblem(subject, String(socket.authorizationError));
      opts.onRefused({ replica: remoteOf(socket), by: 'proxy', reason: `TLS: ${problemText(problem)}` });
      socket.destroy();
      return;
    }
    opts.onReplica(socket);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    const problem = serverTlsProblem(err);
    const reason = problem ? problemText(problem) : `${err.code ?? 'ERROR'} ${err.message.split('\n')[0]}`;
    const by = problem?.peerEnded ? 'replica' : 'proxy';
    opts.onRefused({ replica: remoteOf(socket), by, reason: `TLS handshake failed: ${reason}` });
  });
  return {
    server,
    dropHandshakes() {
      for (const raw of handshaking.values()) raw.destroy();
    },
  };
}

function remoteOf(socket: Socket): string {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress && remotePort ? formatHostPort(remoteAddress, remotePort) : 'unknown';
}
