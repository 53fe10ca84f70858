// `replay --to`: gives a real server the master's exact dataset by acting as a tiny master. The target is
// told `REPLICAOF <us>`; we answer its handshake, send +FULLRESYNC, the recorded RDB and the recorded stream,
// wait until its ACK reaches the final offset, then tell it `REPLICAOF NO ONE`.
import type net from 'node:net';
import { RespClient, RespError } from '../lab/resp-client.js';
import { createReplicaServer } from '../net/replica-server.js';
import type { ClientTls, ServerTls } from '../net/tls-options.js';
import { RespFramer } from '../resp/framer.js';
import type { LinkFullSync } from './full-sync.js';

export interface ServeOptions {
  target: { host: string; port: number };
  /** AUTH for our own connection to the target */
  password?: string;
  /** our connection to the target is TLS (null: plaintext) */
  targetTls: ClientTls | null;
  /** the target replicates from us over TLS (its tls-replication yes; null: plaintext) */
  listenTls: ServerTls | null;
  sync: LinkFullSync;
  timeoutMs: number;
  log: (line: string) => void;
}

/** Resolves with the offset the target acknowledged; rejects with a clear message on any failure. */
export async function replayToServer(opts: ServeOptions): Promise<number> {
  const { host: targetHost, port: targetPort } = opts.target;
  const admin = await RespClient.connect(targetHost, targetPort, undefined, { tls: opts.targetTls });
  const command = (...argv: string[]) =>
    admin.send(argv).catch((err: Error) => {
      throw new Error(err instanceof RespError ? `the target answered: ${err.message}` : err.message);
    });
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
    if (opts.password !== undefined) await command('AUTH', opts.password);
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

function serveReplica(socket: net.Socket, opts: ServeOptions, done: (offset: number) => void, fail: (err: Error) => void): void {
  const { sync } = opts;
  let streaming = false;
  const onCommand = (argv: string[]): void => {
    if (argv.length === 0) return;
    const name = argv[0].toUpperCase();
    if (name === 'PING') socket.write('+PONG\r\n');
    else if (name === 'AUTH') socket.write('+OK\r\n');
    else if (name === 'REPLCONF' && argv[1]?.toUpperCase() === 'ACK') {
      const acked = Number(argv[2]);
      if (acked >= sync.finalOffset) {
        streaming = false;
        done(acked);
      }
    } else if (name === 'REPLCONF') socket.write('+OK\r\n');
    else if (name === 'PSYNC' || name === 'SYNC') {
      streaming = true;
      opts.log(`target asked ${argv.join(' ')}: sending +FULLRESYNC ${sync.replid} ${sync.offset}, ${sync.rdb.length} RDB bytes, ${sync.stream.length} stream bytes`);
      if (name === 'PSYNC') socket.write(`+FULLRESYNC ${sync.replid} ${sync.offset}\r\n`);
      socket.write(`$${sync.rdb.length}\r\n`);
      socket.write(sync.rdb);
      socket.write(sync.stream);
      // ask for an ACK now rather than waiting for the replica's once-per-second one
      socket.write('*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n');
    } else socket.write(`-ERR repl-spy replay does not handle ${name}\r\n`);
  };
  // what the target sends us as its master: RESP commands, inline SYNC, newline keepalives
  const framer = new RespFramer('requests', {
    command: (argv) => onCommand(argv.map((a) => a.toString('utf8'))),
    inline: (line) => onCommand(line.toString('utf8').split(' ').filter(Boolean)),
    error: (e) => {
      socket.destroy();
      fail(new Error(`the target sent bytes that are not RESP at byte ${e.pos} of its link: ${e.message}`));
    },
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    if (streaming) fail(new Error('the target closed the replication link during the sync (see its log: e.g. an RDB version newer than it reads)'));
  });
  let first = true;
  socket.on('data', (chunk: Buffer) => {
    if (first && opts.listenTls === null && chunk[0] === TLS_HANDSHAKE_RECORD) {
      socket.destroy();
      fail(new Error('the target speaks TLS to repl-spy (its tls-replication is yes): give --tls-cert and --tls-key (a certificate its tls-ca-cert-file trusts)'));
      return;
    }
    first = false;
    framer.feed(chunk);
  });
}

/** The first byte of a TLS ClientHello (a handshake record); no Redis command starts with it. */
const TLS_HANDSHAKE_RECORD = 0x16;
