// A link that is a client of the server, not a replica (see link-decoder.ts for how a link is told apart): its
// requests are counted, its name and kind read from the few commands that tell, and with `--clients` each request
// is paired with its reply, in order (pipelining, RESP3, pub/sub and MONITOR, whose pushes answer no request).
// Without `--clients` the replies are only counted, never framed. Pure: requests and reply bytes in, events out.

import type { ClientKind, ReplEvent, ReplSink } from '../core/events.js';
import { RespFramer } from '../resp/framer.js';
import { excerptHex } from './excerpt.js';
import { maskSecrets } from './mask-secrets.js';

const PUSH = 0x3e; // '>': a RESP3 push answers no request
const SENTINEL_HELLO = '__sentinel__:hello';

interface Asked {
  argv: string[];
  at: number;
  pos: number;
  end: number;
}

export interface ClientLinkOptions {
  /** emit a `client-command` per request (`--clients`) */
  itemise: boolean;
  showSecrets: boolean;
}

export class ClientLink {
  name: string | null = null;
  kind: ClientKind = 'unknown';
  commands = 0;
  replyBytes = 0;
  /** until the link is known to be a client, what it would emit is held (and dropped if it turns out a replica) */
  private held: ReplEvent[] | null = [];
  private at = 0;
  private resp3 = false;
  /** replies answer requests one by one; false once pub/sub (RESP2) or MONITOR mode makes them unpredictable */
  private paired = true;
  private readonly asked: Asked[] = [];
  private askedHead = 0;
  private readonly replies: RespFramer | null;

  constructor(
    private readonly link: number,
    private readonly out: ReplSink,
    private readonly opts: ClientLinkOptions,
  ) {
    this.replies = opts.itemise
      ? new RespFramer('replies', {
          reply: (head) => this.onReply(head),
          error: (e) => {
            this.unpair();
            this.emit({ type: 'protocol-violation', at: this.at, link, from: 'master', code: e.code, pos: e.pos, end: e.end, message: `${e.message} in a reply to a client; its commands are shown without replies from here`, excerptHex: excerptHex(e.excerpt) });
          },
        })
      : null;
  }

  /** It is a client: what was held goes out, and everything from now on. */
  activate(): void {
    const held = this.held;
    this.held = null;
    if (held) for (const e of held) this.out(e);
  }

  /** One request (a multibulk command, or an inline one split into words). Views are valid during the call only. */
  request(argv: Buffer[], pos: number, end: number, at: number): void {
    this.at = at;
    this.commands++;
    const first = argv[0];
    if (first === undefined) return;
    if (this.opts.itemise) this.item(argv, pos, end, at); // before the mode it may enter: its own reply is paired
    // only a few commands tell a name or a kind (HELLO ... PSUBSCRIBE: 5 to 10 letters): look closer only at names
    // that start and are as long as them (not at SET, GET, SADD)
    const c = first[0] | 0x20;
    if (first.length >= 5 && first.length <= 10 && (c === 0x63 || c === 0x68 || c === 0x73 || c === 0x6d || c === 0x70 || c === 0x72)) this.inspect(argv);
  }

  /** Bytes from the server: counted, and framed only to pair replies. */
  reply(chunk: Buffer, at: number): void {
    this.at = at;
    this.replyBytes += chunk.length;
    if (this.replies && !this.replies.dead) this.replies.feed(chunk);
  }

  /** Reply bytes not available: the replies can no longer be paired. */
  replyGap(bytes: number): void {
    this.replyBytes += bytes;
    this.unpair();
  }

  /** The link closed: requests still waiting are shown without a reply. */
  close(at: number): void {
    this.at = at;
    this.unpair();
  }

  private inspect(argv: Buffer[]): void {
    const name = argv[0].toString('latin1').toUpperCase();
    const arg = (i: number): string => argv[i]?.toString('utf8') ?? '';
    const before = { name: this.name, kind: this.kind };
    switch (name) {
      case 'CLIENT':
        if (arg(1).toUpperCase() === 'SETNAME' && argv.length === 3) this.setName(arg(2));
        break;
      case 'HELLO':
        if (argv.length >= 2) this.resp3 = arg(1) === '3';
        for (let i = 2; i + 1 < argv.length; i++) if (arg(i).toUpperCase() === 'SETNAME') this.setName(arg(i + 1));
        break;
      case 'SENTINEL':
        this.kind = 'sentinel';
        break;
      case 'SUBSCRIBE':
      case 'PSUBSCRIBE':
      case 'SSUBSCRIBE':
        for (let i = 1; i < argv.length; i++) if (arg(i) === SENTINEL_HELLO) this.kind = 'sentinel';
        if (!this.resp3) this.paired = false; // RESP2 subscribe mode: confirmations and messages are plain arrays
        break;
      case 'PUBLISH':
        if (arg(1) === SENTINEL_HELLO) this.kind = 'sentinel';
        break;
      case 'MONITOR':
        this.paired = false; // then one `+` line per command the server runs
        break;
      case 'COMMAND':
        // interactive redis-cli asks for the command docs (its hints) before anything else
        if (this.commands === 1 && this.kind === 'unknown' && arg(1).toUpperCase() === 'DOCS') this.kind = 'redis-cli';
        break;
      case 'REPLCONF':
        if (this.kind === 'unknown') this.kind = 'replica-to-be';
        break;
    }
    if (this.held === null && (before.name !== this.name || before.kind !== this.kind)) {
      this.out({ type: 'client-update', at: this.at, link: this.link, name: this.name, kind: this.kind });
    }
  }

  private setName(name: string): void {
    this.name = name;
    if (name.startsWith('sentinel-')) this.kind = 'sentinel';
  }

  private item(argv: Buffer[], pos: number, end: number, at: number): void {
    const text = argv.map((a) => a.toString('utf8'));
    const shown = this.opts.showSecrets ? text : maskSecrets(text);
    if (this.paired && this.replies && !this.replies.dead) this.asked.push({ argv: shown, at, pos, end });
    else this.emit({ type: 'client-command', at, link: this.link, argv: shown, pos, end, reply: null, latencyMs: null });
  }

  private onReply(head: Buffer): void {
    if (head[0] === PUSH || this.askedHead >= this.asked.length) return; // a push, or a message in pub/sub mode
    const q = this.asked[this.askedHead++];
    if (this.askedHead === this.asked.length) this.asked.length = this.askedHead = 0;
    this.emit({ type: 'client-command', at: q.at, link: this.link, argv: q.argv, pos: q.pos, end: q.end, reply: head.toString('utf8'), latencyMs: this.at - q.at });
  }

  /** Replies can no longer be told apart: the requests waiting for one are shown without it. */
  private unpair(): void {
    this.paired = false;
    for (let i = this.askedHead; i < this.asked.length; i++) {
      const q = this.asked[i];
      this.emit({ type: 'client-command', at: q.at, link: this.link, argv: q.argv, pos: q.pos, end: q.end, reply: null, latencyMs: null });
    }
    this.asked.length = this.askedHead = 0;
  }

  private emit(e: ReplEvent): void {
    if (this.held) this.held.push(e);
    else this.out(e);
  }
}
