// A minimal RESP2 client for the lab's own connections (loading keys, the write load, INFO polling) and other
// side connections: one connection (plaintext or TLS), commands pipelined, replies read by redis-parser and
// matched in order. Never in the proxy's forward path.
import type net from 'node:net';
import RedisParser from 'redis-parser';
import { ReplSpyError } from '../core/errors.js';
import { connectRedis } from './dial.js';
import type { ClientTls } from './tls-options.js';

export type Reply = string | number | null | Reply[];

/** The server's error reply (`-ERR ...`, `-NOAUTH ...`): the message is the line without the '-'. */
export class RespError extends ReplSpyError {
  override readonly name = 'RespError';

  constructor(message: string) {
    super('RSPY_SERVER_REPLY', message);
  }
}

export class RespClient {
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private closedError: Error | null = null;
  private push: ((reply: Reply) => void) | null = null;
  private readonly parser = new RedisParser({
    returnReply: (reply) => {
      const p = this.pending.shift();
      if (p) p.resolve(toReply(reply));
      else this.push?.(toReply(reply)); // a pub/sub message: no command asked for it
    },
    returnError: (err) => this.pending.shift()?.reject(new RespError(err.message)),
    returnFatalError: (err) => this.socket.destroy(err),
  });

  private readonly onData = (chunk: Buffer): void => this.parser.execute(chunk);
  private readonly failAll = (err: Error): void => {
    this.closedError ??= err;
    for (const p of this.pending.splice(0)) p.reject(err);
  };
  private readonly onSocketClose = (): void => this.failAll(new Error('connection closed'));

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', this.failAll);
    socket.on('close', this.onSocketClose);
  }

  /** Connects (with TLS when `opts.tls` is given), and authenticates when a password is given: as an ACL user
   *  with `opts.user`, else as the default user. */
  static async connect(host: string, port: number, password?: string, opts: { user?: string; tls?: ClientTls | null } = {}): Promise<RespClient> {
    const socket = await connectRedis({ host, port }, opts.tls ?? null);
    const client = new RespClient(socket);
    if (password !== undefined) {
      try {
        await client.send(opts.user === undefined ? ['AUTH', password] : ['AUTH', opts.user, password]);
      } catch (err) {
        client.close();
        throw err;
      }
    }
    return client;
  }

  send(args: (string | number | Buffer)[]): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closedError || this.socket.destroyed) return reject(this.closedError ?? new Error('connection closed'));
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  /** Replies no command asked for: the messages of a (P)SUBSCRIBE. */
  onPush(fn: (reply: Reply) => void): void {
    this.push = fn;
  }

  /** Called once when the connection closes or fails. */
  onClose(fn: (err: Error) => void): void {
    this.socket.once('close', () => fn(this.closedError ?? new Error('connection closed')));
  }

  close(): void {
    this.socket.destroy();
  }

  /** The connection is gone (closed, reset, or killed by the server, e.g. Sentinel's CLIENT KILL). */
  get closed(): boolean {
    return this.closedError !== null || this.socket.destroyed;
  }

  /** Hands the connection over once every reply came (e.g. to speak replication on it): the client lets go of it. */
  detach(): net.Socket {
    if (this.pending.length > 0) throw new Error('replies are still pending');
    this.socket.off('data', this.onData);
    this.socket.off('error', this.failAll);
    this.socket.off('close', this.onSocketClose);
    return this.socket;
  }

  /** Our end of the connection: the address the server can reach us at. */
  get localAddress(): string {
    return this.socket.localAddress ?? '127.0.0.1';
  }
}

export function encodeCommand(args: (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** An error inside an array (e.g. in an EXEC reply) becomes its message. */
function toReply(r: unknown): Reply {
  return r instanceof Error ? r.message : Array.isArray(r) ? r.map(toReply) : (r as Reply);
}
