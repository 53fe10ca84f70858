// Wire events written as a script (links opening, the bytes each side sends, ticks, faults, closes) and a small
// replication session built with it: what the live proxy would hand the pipeline, for the tests of the views that
// read the decoded events (metrics, report).
import type { From, GapReason, WireEvent } from '../../src/core/events.js';
import type { Pipeline } from '../../src/decode/pipeline.js';
import { resp } from './decode-case.js';

export const REPLID = '8b1e' + 'a'.repeat(36);

export class WireScript {
  readonly events: WireEvent[] = [];

  open(link: number, at: number, replica: string, master = '127.0.0.1:6379'): this {
    this.events.push({ kind: 'open', link, at, replica, master });
    return this;
  }

  send(link: number, at: number, from: From, bytes: string | Buffer): this {
    this.events.push({ kind: 'bytes', link, at, from, chunk: typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes });
    return this;
  }

  /** The replica's handshake up to its PSYNC, announcing `port`. */
  handshake(link: number, at: number, port: number, psync: [string, string] = ['?', '-1']): this {
    this.send(link, at, 'replica', resp('PING'));
    this.send(link, at + 1, 'master', '+PONG\r\n');
    this.send(link, at + 2, 'replica', resp('REPLCONF', 'listening-port', String(port)));
    this.send(link, at + 3, 'master', '+OK\r\n');
    return this.send(link, at + 4, 'replica', resp('PSYNC', ...psync));
  }

  ack(link: number, at: number, offset: number): this {
    return this.send(link, at, 'replica', resp('REPLCONF', 'ACK', String(offset)));
  }

  ticks(from: number, to: number, every = 250): this {
    for (let at = from; at <= to; at += every) this.events.push({ kind: 'tick', at });
    return this;
  }

  gap(link: number, at: number, from: From, bytes: number, reason: GapReason): this {
    this.events.push({ kind: 'gap', link, at, from, bytes, reason });
    return this;
  }

  fault(link: number, at: number, fault: string, detail: Record<string, unknown> = {}): this {
    this.events.push({ kind: 'fault', link, at, fault, detail });
    return this;
  }

  close(link: number, at: number, by: From | 'proxy', reason: string): this {
    this.events.push({ kind: 'close', link, at, by, reason });
    return this;
  }

  /** Into a pipeline in time order (a script may be written link by link). */
  run(pipeline: Pipeline): void {
    for (const e of [...this.events].sort((a, b) => a.at - b.at)) pipeline.wire(e);
  }
}

/** A small RDB 9 file: db 0 with two strings (`user:1`, `user:2`) and a list (`queue`), no checksum stored. */
export function smallRdb(): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
  return Buffer.concat([
    Buffer.from('REDIS0009', 'latin1'),
    Buffer.from([0xfa]), str('redis-ver'), str('7.0.15'),
    Buffer.from([0xfe, 0x00, 0xfb, 0x03, 0x00]),
    Buffer.from([0x00]), str('user:1'), str('alice'),
    Buffer.from([0x00]), str('user:2'), str('bob'),
    Buffer.from([0x01]), str('queue'), Buffer.from([0x02]), str('a'), str('b'),
    Buffer.from([0xff]), Buffer.alloc(8),
  ]);
}

export const SET_USER = resp('SET', 'user:3', 'carol');
export const SELECT_0 = resp('SELECT', '0');
/** offsets of the session below: after its first two commands, and after the next SET */
export const FIRST_OFFSET = SELECT_0.length + SET_USER.length;
export const SECOND_OFFSET = FIRST_OFFSET + SET_USER.length;

/**
 * Two replicas (ports 6380, 6381, links 1 and 2) share one BGSAVE: +FULLRESYNC at the same replid and offset, the
 * same disk RDB; then commands and ACKs. At 5000 ms link 1 is cut by a fault and comes back as link 3 with a
 * partial resync; at 6000 ms replica 2 stops acknowledging (its lag grows with the ticks) until 9000 ms.
 * Everything ends at 10000 ms.
 */
export function sharedSnapshotSession(): WireScript {
  const rdb = smallRdb();
  const payload = Buffer.concat([Buffer.from(`$${rdb.length}\r\n`), rdb]);
  const s = new WireScript();
  for (const [link, port] of [[1, 6380], [2, 6381]] as const) {
    s.open(link, 100 + link, `127.0.0.1:5000${link}`).handshake(link, 110 + link, port);
    s.send(link, 120 + link, 'master', `+FULLRESYNC ${REPLID} 0\r\n`);
    s.send(link, 1000, 'master', payload);
    s.ack(link, 1500, 0);
    s.send(link, 2000, 'master', SELECT_0 + SET_USER);
    s.ack(link, 2500, FIRST_OFFSET);
  }
  s.ticks(250, 10_000);
  s.fault(1, 5000, 'cut', { reason: 'replica=1,cut' }).close(1, 5000, 'proxy', 'cut by a fault');
  s.open(3, 5100, '127.0.0.1:50003').handshake(3, 5110, 6380, [REPLID, String(FIRST_OFFSET + 1)]);
  s.send(3, 5120, 'master', `+CONTINUE ${REPLID}\r\n`);
  s.ack(3, 5500, FIRST_OFFSET);
  s.send(2, 6000, 'master', SET_USER); // replica 2 does not acknowledge it until 9000 ms
  s.send(3, 6000, 'master', SET_USER);
  s.ack(3, 6500, SECOND_OFFSET);
  s.ack(2, 9000, SECOND_OFFSET);
  s.close(2, 10_000, 'replica', 'closed').close(3, 10_000, 'replica', 'closed');
  return s;
}
