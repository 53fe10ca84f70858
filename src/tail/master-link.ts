// One connection of `repl-spy tail` to a master, as a replica. First a plain exchange (AUTH, `INFO replication`)
// to learn where the master's history stands; then the replication handshake and PSYNC, after which every byte
// either way is a wire event of its own link, decoded and captured as a link through the proxy would be.
//
// It announces an address nobody can connect to (REPLCONF listening-port 0, ip-address repl-spy-tail.invalid):
// Sentinel learns a replica's priority only from that replica's own INFO, read at the ip:port the master lists,
// so such a replica can never be chosen by Sentinel (it does not even add one whose name does not resolve).
import type { Socket } from 'node:net';
import { ReplSpyError } from '../core/errors.js';
import type { WireSink } from '../core/events.js';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import { RespClient, RespError, encodeCommand } from '../net/resp-client.js';
import type { ClientTls } from '../net/tls-options.js';
import { wireNow } from '../core/clock.js';

/** The port tail announces: none (as `redis-cli --replica`, which announces nothing). */
export const ANNOUNCED_PORT = 0;
/** The address tail announces instead of its own: `.invalid` never resolves (RFC 6761), and names it in INFO. */
export const ANNOUNCED_IP = 'repl-spy-tail.invalid';
/** Like a replica's repl-timeout: no byte from the master for this long ends the link (it pings every 10 s). */
export const MASTER_SILENCE_MS = 60_000;

export interface MasterAuth {
  user?: string;
  password?: string;
}

/** The master refused us in a way retrying cannot fix (AUTH, ACL): tail stops with this. */
export class MasterRefusal extends ReplSpyError {
  override readonly name = 'MasterRefusal';

  constructor(message: string) {
    super('RSPY_TAIL', message);
  }
}

export interface Handshake {
  replid: string;
  /** the PSYNC offset: the first byte wanted */
  offset: number;
  /** ask for the smallest RDB the server can send (REPLCONF rdb-filter-only "", Redis 7.0+), should it full-sync */
  smallestRdb: boolean;
  /** the db the stream is in at `offset` (+CONTINUE sends no SELECT), told to the decoder */
  streamDb: number | null;
}

export interface MasterLink {
  readonly link: number;
  /** the text of `INFO replication`, read on this connection before the handshake */
  readonly info: string;
  /** Starts replicating: the handshake's REPLCONFs are written, and from here on every byte is a wire event. */
  start(handshake: Handshake): void;
  /** Number of REPLCONF commands start() wrote: PSYNC goes once their replies came (a command sent while a reply
   *  is still pending is refused: "SYNC and PSYNC are invalid with pending output"). */
  readonly replconfs: number;
  psync(): void;
  ack(offset: number): void;
  /** Stops reading the master while anyone holds it back (a slow output, a slow --to target): the master then
   *  buffers, and its output buffer limit for replicas is the bound. */
  hold(who: string, held: boolean): void;
  /** Ends the link from our side (`by: replica` in its close event). */
  close(reason: string): void;
  /** Resolves once the connection is gone (after its close event). */
  readonly closed: Promise<void>;
}

/** Connects, authenticates and reads INFO replication. Rejects with a MasterRefusal when the master will not let
 *  us in (AUTH, NOPERM), with any other error when it cannot be reached now. */
export async function openMasterLink(
  master: HostPort,
  opts: { link: number; tls: ClientTls | null; auth: MasterAuth; onWire: WireSink; onMasterBytes: (chunk: Buffer) => void },
): Promise<MasterLink> {
  const where = formatHostPort(master.host, master.port);
  const client = await RespClient.connect(master.host, master.port, opts.auth.password, { user: opts.auth.user, tls: opts.tls }).catch((err: Error) => {
    if (err instanceof RespError) throw new MasterRefusal(`${where} refused AUTH (${err.message}): give its credentials with -a/--pass (and --user) or REDISCLI_AUTH`);
    throw err;
  });
  const info = await client.send(['INFO', 'replication']).catch((err: Error) => {
    client.close();
    if (!(err instanceof RespError)) throw err;
    const hint = /^NOAUTH/.test(err.message)
      ? 'the master needs a password: -a/--pass or REDISCLI_AUTH'
      : 'tail reads it to learn the replid and offset to continue from: give the user +info, or --from REPLID:OFFSET';
    throw new MasterRefusal(`${where} refused INFO replication (${err.message}): ${hint}`);
  });
  const socket = client.detach();
  return replicaLink(socket, String(info), where, opts);
}

function replicaLink(socket: Socket, info: string, master: string, opts: { link: number; onWire: WireSink; onMasterBytes: (chunk: Buffer) => void }): MasterLink {
  const { link, onWire } = opts;
  let endedBy: 'master' | 'replica' = 'master';
  let reason = 'the master closed the connection';
  let replconfs = 0;
  let started = false; // the link's events begin with start(): a connection lost before it has none
  let ask: Handshake | null = null;
  const holders = new Set<string>();
  const send = (chunk: Buffer): void => {
    if (socket.destroyed) return;
    socket.write(chunk);
    onWire({ kind: 'bytes', link, at: wireNow(), from: 'replica', chunk });
  };
  const closed = new Promise<void>((resolve) => {
    socket.on('error', (err: NodeJS.ErrnoException) => {
      reason = `connection error: ${err.code ?? err.message}`;
    });
    socket.on('close', () => {
      if (started) onWire({ kind: 'close', link, at: wireNow(), by: endedBy, reason });
      resolve();
    });
  });
  return {
    link,
    info,
    get replconfs() {
      return replconfs;
    },
    start(h) {
      started = true;
      onWire({ kind: 'open', link, at: wireNow(), replica: formatHostPort(socket.localAddress ?? '?', socket.localPort ?? 0), master, replication: true, ...(h.streamDb === null ? {} : { streamDb: h.streamDb }) });
      onWire({ kind: 'server-info', at: wireNow(), server: master, text: info });
      socket.on('data', (chunk: Buffer) => {
        onWire({ kind: 'bytes', link, at: wireNow(), from: 'master', chunk });
        opts.onMasterBytes(chunk);
      });
      socket.setTimeout(MASTER_SILENCE_MS, () => {
        endedBy = 'replica';
        reason = `no byte from the master for ${MASTER_SILENCE_MS / 1000} s`;
        socket.destroy();
      });
      const replconf = [
        encodeCommand(['REPLCONF', 'listening-port', ANNOUNCED_PORT]),
        encodeCommand(['REPLCONF', 'ip-address', ANNOUNCED_IP]),
        encodeCommand(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']),
        ...(h.smallestRdb ? [encodeCommand(['REPLCONF', 'rdb-filter-only', ''])] : []),
      ];
      replconfs = replconf.length;
      ask = h;
      send(Buffer.concat(replconf));
    },
    psync() {
      if (ask) send(encodeCommand(['PSYNC', ask.replid, ask.offset]));
    },
    ack(offset) {
      send(encodeCommand(['REPLCONF', 'ACK', offset]));
    },
    hold(who, held) {
      if (held) holders.add(who);
      else holders.delete(who);
      if (holders.size > 0) socket.pause();
      else socket.resume();
    },
    close(why) {
      if (socket.destroyed) return;
      endedBy = 'replica';
      reason = why;
      socket.destroy();
    },
    closed,
  };
}
