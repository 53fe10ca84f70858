import type { ReplEvent } from '../../../src/core/events.js';
import type { RdbHeaderInfo, RdbSummary } from '../../../src/core/rdb-info.js';
import { setSlot } from '../../../src/core/command-slot.js';

// Synthetic but realistic event sequences, shaped after the recorded session r70-shared-bgsave-3
// (three replicas, one disk BGSAVE) so the model and the screens can be tested without a decoder.

export const T0 = Date.UTC(2026, 10, 21, 22, 37, 34, 254);
export const REPLID = '1c245b9ec62a4e0d3b8f208fd4279ab226c6b61f';

export function cmd(link: number, at: number, offset: number, db: number | null, ...args: string[]): ReplEvent {
  const argv = args.map((a) => Buffer.from(a));
  const bytes = 1 + String(args.length).length + 2 + argv.reduce((n, a) => n + 1 + String(a.length).length + 2 + a.length + 2, 0);
  const e: ReplEvent = { type: 'command', pos: 0, end: 0, link, at, offset, db, argv, bytes };
  setSlot(e, argv); // the slot as the decoder sets it
  return e;
}

export function handshake(link: number, at: number, port: number): ReplEvent[] {
  return [
    { type: 'link-open', link, at, replica: `127.0.0.1:${40000 + link}`, master: '127.0.0.1:6379' },
    { type: 'replica-command', link, at: at + 0.1, argv: ['PING'], pos: 0, end: 0 },
    { type: 'master-reply', link, at: at + 0.3, reply: '+PONG', pos: 0, end: 0 },
    { type: 'replica-command', link, at: at + 0.5, argv: ['REPLCONF', 'listening-port', String(port)], pos: 14, end: 14 },
    { type: 'master-reply', link, at: at + 0.7, reply: '+OK', pos: 7, end: 7 },
    { type: 'replica-command', link, at: at + 0.9, argv: ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], pos: 55, end: 55 },
    { type: 'master-reply', link, at: at + 1.1, reply: '+OK', pos: 12, end: 12 },
    { type: 'replica-command', link, at: at + 1.3, argv: ['PSYNC', '?', '-1'], pos: 114, end: 114 },
    { type: 'psync', pos: 0, end: 0, link, at: at + 1.3, replid: '?', offset: -1 },
  ];
}

/** Three replicas attach 400 ms apart to one BGSAVE that takes ~3 s, then a few commands stream. */
export function sharedBgsave(): ReplEvent[] {
  const ev: ReplEvent[] = [];
  const opens = [0, 394, 800];
  opens.forEach((dt, i) => {
    const link = i + 1;
    ev.push(...handshake(link, T0 + dt, 6381 + i));
    ev.push({ type: 'master-reply', link, at: T0 + dt + 1.5, reply: `+FULLRESYNC ${REPLID} 0`, pos: 17, end: 17 });
    ev.push({ type: 'fullresync', pos: 0, end: 0, link, at: T0 + dt + 1.5, replid: REPLID, offset: 0 });
  });
  for (let k = 1; k <= 3; k++) ev.push({ type: 'keepalive', pos: 0, end: 0, link: 1, at: T0 + k * 1000, from: 'master' });
  const end = T0 + 3106;
  ev.push({ type: 'shared-snapshot', link: 1, at: end, snapshot: 1, links: [1, 2, 3], replid: REPLID, offset: 0 });
  opens.forEach((dt, i) => {
    const link = i + 1;
    const keepalives = [3, 2, 2][i];
    ev.push({ type: 'rdb-start', pos: 0, end: 0, link, at: end, mode: 'disk', size: 316, waitMs: end - (T0 + dt + 1.5), keepalives });
    ev.push({
      type: 'rdb-info',
      link,
      at: end,
      phase: 'header',
      // only the facts the screen is shown with
      info: { version: 10, aux: { 'redis-ver': '7.0.15', 'redis-bits': 64, 'repl-id': REPLID, 'repl-offset': 0 } } as unknown as RdbHeaderInfo,
    });
    ev.push({ type: 'rdb-end', pos: 0, end: 0, link, at: end + 2, bytes: 316, durationMs: 2, bytesPerSec: 158_000 });
    ev.push({ type: 'rdb-info', link, at: end + 2, phase: 'summary', info: { keys: 12, dbs: 2 } as unknown as RdbSummary });
  });
  let offset = 0;
  const stream = (at: number, db: number, ...args: string[]) => {
    const e = cmd(1, at, 0, db, ...args);
    offset += (e as { bytes: number }).bytes;
    for (const link of [1, 2, 3]) ev.push(cmd(link, at, offset, db, ...args));
  };
  stream(end + 50, 0, 'SELECT', '0');
  stream(end + 50, 0, 'SET', 'k1', 'v1');
  opens.forEach((_, i) => ev.push({ type: 'ack', pos: 0, end: 0, link: i + 1, at: end + 100 + i, offset: 23, lagBytes: offset - 23, lagMs: 50, loadMs: 98 + i }));
  stream(end + 200, 0, 'HSET', 'user:1', 'name', 'ada');
  stream(end + 300, 3, 'SELECT', '3');
  stream(end + 300, 3, 'LPUSH', 'queue', 'a', 'b');
  stream(end + 400, 0, 'SELECT', '0');
  stream(end + 400, 0, 'SET', 'user:2', 'x'.repeat(135));
  opens.forEach((_, i) => ev.push({ type: 'ack', pos: 0, end: 0, link: i + 1, at: end + 1100 + i, offset, lagBytes: 0, lagMs: 0 }));
  return ev;
}
