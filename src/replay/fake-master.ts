// `replay --to`: gives a real server the master's exact dataset by acting as a tiny master. The target is
// told `REPLICAOF <us>`; we answer its handshake, send +FULLRESYNC, the recorded RDB and the recorded stream,
// wait until its ACK reaches the final offset, then tell it `REPLICAOF NO ONE`. A full sync replaces everything
// the target holds, so a target with keys, a master of its own or replicas of its own is refused unless forced.
import type net from 'node:net';
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import { RespClient, RespError, type Reply } from '../net/resp-client.js';
import { createReplicaServer } from '../net/replica-server.js';
import { readReplicaRequests } from '../net/replica-requests.js';
import type { ClientTls, ServerTls } from '../net/tls-options.js';
import type { LinkFullSync } from './full-sync.js';

export interface ServeOptions {
  target: { host: string; port: number };
  /** AUTH for our own connection to the target */
  password?: string;
  user?: string;
  /** replace what the target holds (it is only said, before starting) */
  force: boolean;
  /** our connection to the target is TLS (null: plaintext) */
  targetTls: ClientTls | null;
  /** the target replicates from us over TLS (its tls-replication yes; null: plaintext) */
  listenTls: ServerTls | null;
  sync: LinkFullSync;
  timeoutMs: number;
  log: (line: string) => void;
}

const AUTH_HINT = "give the target's credentials with --to-password (and --to-user for an ACL user) or REDISCLI_AUTH";

/** Resolves with the offset the target acknowledged; rejects with a clear message on any failure. */
export async function replayToServer(opts: ServeOptions): Promise<number> {
  const { admin, command, where } = await connectTarget(opts.target, opts);
  let replica: net.Socket | null = null;
  let settle!: { resolve: (offset: number) => void; reject: (err: Error) => void };
  const synced = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
  synced.catch(() => undefined); // it may fail while we still wait for REPLICAOF's answer: awaited below
  const { server, dropHandshakes } = createReplicaServer({
    tls: opts.listenTls,
    handshakeTimeoutMs: 10_000,
    onReplica(socket) {
      replica?.destroy();
      replica = socket;
      serveReplica(socket, opts, settle.resolve, settle.reject);
      socket.resume();
    },
    onRefused: ({ reason }) => settle.reject(new Error(`the target's replication connection was refused: ${reason}`)),
  });
  const timer = setTimeout(
    () => settle.reject(new Error(`the target did not acknowledge offset ${opts.sync.finalOffset} within ${opts.timeoutMs} ms (see its log)`)),
    opts.timeoutMs,
  );
  try {
    const held = whatItHolds(String(await command('INFO', 'keyspace')), String(await command('INFO', 'replication')));
    if (held.length > 0 && !opts.force) {
      throw new ReplSpyError('RSPY_REPLAY_REFUSED', `refusing to replay into ${where}: ${held.join('; ')}`, {
        hint: 'a full sync replaces all of it: point --to at an empty master, or add --force to replace it',
      });
    }
    if (held.length > 0) opts.log(`--force: ${where} will be replaced: ${held.join('; ')}`);
    // listen where the target can reach us: our own address on the route to it
    const host = admin.localAddress;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
    const port = (server.address() as net.AddressInfo).port;
    opts.log(`serving link ${opts.sync.link} as a master on ${host}:${port}: REPLICAOF sent to ${opts.target.host}:${opts.target.port}`);
    await command('REPLICAOF', host, String(port));
    const acked = await synced;
    await command('REPLICAOF', 'NO', 'ONE');
    return acked;
  } finally {
    clearTimeout(timer);
    (replica as net.Socket | null)?.destroy();
    server.close();
    dropHandshakes();
    admin.close();
  }
}

export interface TargetConnection {
  admin: RespClient;
  /** a command on it; a refusal becomes an error that says what to do */
  command: (...argv: string[]) => Promise<Reply>;
  where: string;
}

/** Our own connection to a `--to` server, authenticated with its credentials. */
export async function connectTarget(target: HostPort, auth: { password?: string; user?: string; targetTls: ClientTls | null }): Promise<TargetConnection> {
  const where = formatHostPort(target.host, target.port);
  const admin = await RespClient.connect(target.host, target.port, auth.password, { user: auth.user, tls: auth.targetTls }).catch((err: Error) => {
    if (err instanceof RespError) throw new ReplSpyError('RSPY_REPLAY', `${where} refused AUTH (${err.message})`, { hint: AUTH_HINT });
    throw err;
  });
  const command = (...argv: string[]): Promise<Reply> =>
    admin.send(argv).catch((err: Error) => {
      if (err instanceof RespError && /^NOAUTH/.test(err.message)) throw new ReplSpyError('RSPY_REPLAY', `${where} needs a password (${err.message})`, { hint: AUTH_HINT });
      throw new Error(err instanceof RespError ? `the target answered: ${err.message}` : err.message);
    });
  return { admin, command, where };
}

/** What a full sync would destroy on the target, from its INFO keyspace and INFO replication. */
export function whatItHolds(keyspace: string, replication: string): string[] {
  const held: string[] = [];
  const dbs = [...keyspace.matchAll(/^db(\d+):keys=(\d+)/gm)].map((m) => ({ db: m[1], keys: Number(m[2]) }));
  const keys = dbs.reduce((n, d) => n + d.keys, 0);
  if (keys > 0) held.push(`it holds ${keys} key${keys === 1 ? '' : 's'} (${dbs.map((d) => `db${d.db}: ${d.keys}`).join(', ')})`);
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*?)\r?$`, 'm').exec(replication)?.[1];
  if (field('role') === 'slave') {
    held.push(`it is a replica of ${field('master_host')}:${field('master_port')} (it would be detached from it and left a master)`);
  }
  const replicas = Number(field('connected_slaves') ?? 0);
  if (replicas > 0) held.push(`it is the master of ${replicas} replica${replicas === 1 ? '' : 's'} (they would get the replayed data too)`);
  return held;
}

function serveReplica(socket: net.Socket, opts: ServeOptions, done: (offset: number) => void, fail: (err: Error) => void): void {
  const { sync } = opts;
  let streaming = false;
  readReplicaRequests(socket, opts.listenTls === null, {
    ack(acked) {
      if (acked >= sync.finalOffset) {
        streaming = false;
        done(acked);
      }
    },
    sync(replid, _offset, argv) {
      streaming = true;
      opts.log(`target asked ${argv.join(' ')}: sending +FULLRESYNC ${sync.replid} ${sync.offset}, ${sync.rdbBytes} RDB bytes, ${sync.streamBytes} stream bytes`);
      if (replid !== null) socket.write(`+FULLRESYNC ${sync.replid} ${sync.offset}\r\n`);
      sendSync(socket, sync).catch((err: Error) => {
        socket.destroy();
        fail(err);
      });
    },
    fail,
  });
  socket.on('close', () => {
    if (streaming) fail(new Error('the target closed the replication link during the sync (see its log: e.g. an RDB version newer than it reads)'));
  });
}

/** The snapshot and the stream, read from the capture as the target takes them (a slow target slows the reading,
 *  nothing piles up in memory), then a GETACK. */
async function sendSync(socket: net.Socket, sync: LinkFullSync): Promise<void> {
  socket.write(`$${sync.rdbBytes}\r\n`);
  for await (const { chunk } of sync.chunks()) {
    if (socket.destroyed) return; // the close is reported by serveReplica
    if (!socket.write(chunk)) await drainOrClose(socket);
  }
  // ask for an ACK now rather than waiting for the replica's once-per-second one
  socket.write('*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n');
}

function drainOrClose(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}
