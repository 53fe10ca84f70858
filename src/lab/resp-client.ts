// A minimal RESP2 client for the lab's own connections (loading keys, the write load, INFO polling): one
// connection, commands pipelined, replies matched in order. Never in the proxy's forward path.
import net from 'node:net';

export type Reply = string | number | null | Reply[];

export class RespError extends Error {}

export class RespClient {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private closedError: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const failAll = (err: Error): void => {
      this.closedError ??= err;
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on('error', failAll);
    socket.on('close', () => failAll(new Error('connection closed')));
  }

  /** Connects, and authenticates when a password is given. */
  static async connect(host: string, port: number, password?: string): Promise<RespClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port });
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
    });
    const client = new RespClient(socket);
    if (password !== undefined) {
      try {
        await client.send(['AUTH', password]);
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

  close(): void {
    this.socket.destroy();
  }

  /** Our end of the connection: the address the server can reach us at. */
  get localAddress(): string {
    return this.socket.localAddress ?? '127.0.0.1';
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      let parsed: Parsed | null;
      try {
        parsed = parseReply(this.buffer, 0);
      } catch (err) {
        this.socket.destroy(err as Error);
        return;
      }
      if (!parsed) return;
      this.buffer = this.buffer.subarray(parsed.end);
      const waiter = this.pending.shift();
      if (parsed.error !== undefined) waiter?.reject(new RespError(parsed.error));
      else waiter?.resolve(parsed.value);
    }
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

type Parsed = { value: Reply; error?: string; end: number };

/** One RESP2 reply starting at `pos`, or null when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, pos: number): Parsed | null {
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return null;
  const line = buf.toString('utf8', pos + 1, lineEnd);
  const next = lineEnd + 2;
  switch (buf[pos]) {
    case 0x2b: // +
      return { value: line, end: next };
    case 0x2d: // -
      return { value: null, error: line, end: next };
    case 0x3a: // :
      return { value: Number(line), end: next };
    case 0x24: {
      // $
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return null;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case 0x2a: {
      // *
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, at);
        if (!item) return null;
        items.push(item.error !== undefined ? `ERR ${item.error}` : item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP reply byte 0x${buf[pos]?.toString(16)} at ${pos}`);
  }
}
