// Every link is classified: a client link until its replica side asks for a sync. Each transcript runs under every
// chunking of every step; real clients' bytes (redis-cli, redis-benchmark, Sentinel) must never be a violation.
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { LinkDecoder } from '../../../src/decode/link-decoder.js';
import { decodeEveryChunking, resp, types, type Step } from '../../helpers/decode-case.js';

const REPLID = '8b1e' + 'a'.repeat(36);
const RDB = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
const open: Step = { open: '10.0.0.9:50000', at: 0 };
const close: Step = { close: 'replica', at: 2000 };

function only<T extends ReplEvent['type']>(events: ReplEvent[], type: T): Extract<ReplEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ReplEvent, { type: T }> => e.type === type);
}

/** what a replication reading would make of a client's bytes: none of it may appear */
const REPLICATION_TYPES = ['link-open', 'replica-command', 'master-reply', 'rdb-start', 'rdb-end', 'rdb-info', 'command', 'psync', 'fullresync', 'protocol-violation', 'link-close'];
const replicationEvents = (events: ReplEvent[]) => events.filter((e) => REPLICATION_TYPES.includes(e.type));

const INFO_REPLY = '# Server\r\nredis_version:7.0.15\r\n';
const HELLO3_REPLY = '%3\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n*0\r\n';

describe('client links', () => {
  it('GET answered $1 and INFO answered with a bulk: a client link, no RDB, no violation, totals', () => {
    const steps: Step[] = [
      open,
      { from: 'replica', bytes: resp('GET', 'k'), at: 10 },
      { from: 'master', bytes: '$1\r\nx\r\n', at: 11 },
      { from: 'replica', bytes: resp('INFO'), at: 20 },
      { from: 'master', bytes: `$${INFO_REPLY.length}\r\n${INFO_REPLY}\r\n`, at: 21 },
      close,
    ];
    const events = decodeEveryChunking(steps);
    expect(types(events)).toEqual(['client-open', 'client-close']);
    expect(events[0]).toMatchObject({ type: 'client-open', at: 0, client: '10.0.0.9:50000', master: 'master:6379', kind: 'unknown', name: null });
    const requestBytes = resp('GET', 'k').length + resp('INFO').length;
    const replyBytes = 7 + `$${INFO_REPLY.length}\r\n${INFO_REPLY}\r\n`.length;
    expect(events[1]).toMatchObject({ type: 'client-close', at: 2000, by: 'replica', commands: 2, requestBytes, replyBytes, durationMs: 2000, commandsPerSec: 1 });
  });

  it('--clients: pipelined requests paired with their replies in order, RESP3 maps, attributes and pushes', () => {
    const steps: Step[] = [
      open,
      { from: 'replica', bytes: resp('HELLO', '3', 'SETNAME', 'app-1') + resp('SET', 'a', '1') + resp('GET', 'a') + 'PING\r\n' + resp('CLIENT', 'TRACKING', 'on') + resp('GET', 'a'), at: 10 },
      { from: 'master', bytes: HELLO3_REPLY + '+OK\r\n|1\r\n+ttl\r\n:5\r\n$1\r\n1\r\n+PONG\r\n+OK\r\n', at: 12 },
      { from: 'master', bytes: '>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n$1\r\n1\r\n', at: 15 },
      close,
    ];
    const events = decodeEveryChunking(steps, { itemiseClients: true });
    expect(replicationEvents(events)).toEqual([]);
    expect(events[0]).toMatchObject({ type: 'client-open', name: 'app-1', kind: 'unknown' });
    expect(only(events, 'client-command').map((e) => [e.argv.join(' '), e.reply, e.latencyMs])).toEqual([
      ['HELLO 3 SETNAME app-1', '%3', 2],
      ['SET a 1', '+OK', 2],
      ['GET a', '|1', 2],
      ['PING', '+PONG', 2],
      ['CLIENT TRACKING on', '+OK', 2],
      ['GET a', '$1', 5], // the push before it answers no request
    ]);
    expect(only(events, 'client-close')[0]).toMatchObject({ commands: 6, name: 'app-1' });
  });

  it('RESP2 pub/sub: the SUBSCRIBE gets its first confirmation, the messages answer nothing', () => {
    const sub = (kind: string, ch: string, n: string) => `*3\r\n$${kind.length}\r\n${kind}\r\n$${ch.length}\r\n${ch}\r\n${n}`;
    const events = decodeEveryChunking(
      [
        open,
        { from: 'replica', bytes: resp('SUBSCRIBE', 'news', 'sport'), at: 10 },
        { from: 'master', bytes: sub('subscribe', 'news', ':1\r\n') + sub('subscribe', 'sport', ':2\r\n'), at: 11 },
        { from: 'master', bytes: sub('message', 'news', '$2\r\nhi\r\n'), at: 12 },
        { from: 'replica', bytes: resp('PING'), at: 13 },
        { from: 'master', bytes: '*2\r\n$4\r\npong\r\n$0\r\n\r\n', at: 14 },
        close,
      ],
      { itemiseClients: true },
    );
    expect(replicationEvents(events)).toEqual([]);
    expect(only(events, 'client-command').map((e) => [e.argv.join(' '), e.reply])).toEqual([
      ['SUBSCRIBE news sport', '*3'],
      ['PING', null],
    ]);
  });

  it('MONITOR: its +OK, then a + line per command the server runs', () => {
    const events = decodeEveryChunking(
      [
        open,
        { from: 'replica', bytes: resp('MONITOR'), at: 10 },
        { from: 'master', bytes: '+OK\r\n+1700000000.123456 [0 127.0.0.1:5000] "SET" "a" "1"\r\n+1700000000.2 [0 127.0.0.1:5000] "GET" "a"\r\n', at: 11 },
        close,
      ],
      { itemiseClients: true },
    );
    expect(replicationEvents(events)).toEqual([]);
    expect(only(events, 'client-command').map((e) => [e.argv.join(' '), e.reply])).toEqual([['MONITOR', '+OK']]);
  });

  it('without --clients, the replies are not framed: even bytes no server sends are only counted', () => {
    const events = decodeEveryChunking([open, { from: 'replica', bytes: resp('GET', 'a') }, { from: 'master', bytes: 'not RESP at all\r\n' }, close]);
    expect(types(events)).toEqual(['client-open', 'client-close']);
  });

  it('what a client is: Sentinel by its name, its hello channel or its commands; redis-cli by COMMAND DOCS', () => {
    const kindOf = (bytes: string) => {
      const events = decodeEveryChunking([open, { from: 'replica', bytes }, close]);
      return [only(events, 'client-close')[0].kind, only(events, 'client-close')[0].name, types(events)];
    };
    expect(kindOf(resp('CLIENT', 'SETNAME', 'sentinel-6a1b2c3d-cmd') + resp('PING') + resp('INFO'))).toEqual(['sentinel', 'sentinel-6a1b2c3d-cmd', ['client-open', 'client-close']]);
    expect(kindOf(resp('PING') + resp('SUBSCRIBE', '__sentinel__:hello'))).toEqual(['sentinel', null, ['client-open', 'client-close']]);
    expect(kindOf(resp('SENTINEL', 'masters'))).toEqual(['sentinel', null, ['client-open', 'client-close']]);
    expect(kindOf(resp('COMMAND', 'DOCS') + resp('GET', 'a'))).toEqual(['redis-cli', null, ['client-open', 'client-close']]);
    expect(kindOf(resp('REPLCONF', 'listening-port', '6380') + resp('INFO'))).toEqual(['replica-to-be', null, ['client-open', 'client-close']]);
    // known only after the client-open: a client-update says so
    expect(kindOf(resp('GET', 'a') + resp('CLIENT', 'SETNAME', 'sentinel-x-pubsub'))).toEqual(['sentinel', 'sentinel-x-pubsub', ['client-open', 'client-update', 'client-close']]);
  });

  it('a client that only pings, or sends more handshake commands than a replica does, is a client', () => {
    expect(types(decodeEveryChunking([open, { from: 'replica', bytes: resp('AUTH', 'pw') + resp('PING') }, { from: 'master', bytes: '+OK\r\n+PONG\r\n' }, close]))).toEqual(['client-open', 'client-close']);
    const pings = decodeEveryChunking([open, { from: 'replica', bytes: resp('PING').repeat(33) }]);
    expect(types(pings)).toEqual(['client-open']);
  });

  it('garbage from a client: the client-open and one protocol-violation that says what a server does with it', () => {
    const events = decodeEveryChunking([open, { from: 'replica', bytes: resp('PING') + '*x\r\n' + resp('GET', 'a') }, close]);
    expect(types(events)).toEqual(['client-open', 'protocol-violation', 'client-close']);
    expect(events[1]).toMatchObject({ from: 'replica', code: 'RSPY_DECODE_BAD_LENGTH', pos: resp('PING').length + 1 });
    expect((events[1] as { message: string }).message).toMatch(/from a client: a server answers -ERR Protocol error/);
  });

  it("a replica's handshake is shown as before once it asks for a sync: link-open first, then PING, AUTH, REPLCONF", () => {
    const events = decodeEveryChunking([
      open,
      { from: 'replica', bytes: resp('PING'), at: 1 },
      { from: 'master', bytes: '+PONG\r\n', at: 2 },
      { from: 'replica', bytes: resp('AUTH', 'pw') + resp('REPLCONF', 'listening-port', '6380'), at: 3 },
      { from: 'master', bytes: '+OK\r\n+OK\r\n', at: 4 },
      { from: 'replica', bytes: resp('PSYNC', '?', '-1'), at: 5 },
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 0\r\n$${RDB.length}\r\n`, at: 6 },
      { from: 'master', bytes: RDB, at: 7 },
      close,
    ]);
    expect(types(events)).toEqual(['link-open', 'replica-command', 'master-reply', 'replica-command', 'replica-command', 'master-reply', 'master-reply', 'replica-command', 'psync', 'master-reply', 'fullresync', 'master-reply', 'rdb-start', 'rdb-end', 'link-close']);
    expect(events.map((e) => e.at)).toEqual([0, 1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 6, 7, 2000]);
    expect(only(events, 'replica-command')[1].argv).toEqual(['AUTH', '***']);
  });

  it('a replica whose handshake failed before it asked (it sent REPLCONF) is shown as a replica link', () => {
    const events = decodeEveryChunking([open, { from: 'replica', bytes: resp('PING') + resp('REPLCONF', 'listening-port', '6380') }, { from: 'master', bytes: '+PONG\r\n-NOAUTH Authentication required.\r\n' }, close]);
    expect(types(events)).toEqual(['link-open', 'replica-command', 'replica-command', 'master-reply', 'master-reply', 'link-close']);
  });

  it('the RDB channels of Redis 8 and Valkey are replication links: REPLCONF, then PSYNC or inline SYNC', () => {
    const redis = decodeEveryChunking([open, { from: 'replica', bytes: resp('AUTH', 'pw') + resp('REPLCONF', 'capa', 'eof', 'rdb-only', '1', 'rdb-channel', '1', 'main-ch-client-id', '7') }, { from: 'master', bytes: '+OK\r\n+OK\r\n' }, { from: 'replica', bytes: resp('PSYNC', '?', '-1') }]);
    expect(types(redis)).toEqual(['link-open', 'replica-command', 'replica-command', 'master-reply', 'master-reply', 'replica-command', 'psync']);
    const valkey = decodeEveryChunking([open, { from: 'replica', bytes: resp('REPLCONF', 'capa', 'eof', 'rdb-only', '1', 'rdb-channel', '1') }, { from: 'master', bytes: '+OK\r\n' }, { from: 'replica', bytes: 'SYNC\r\n' }, { from: 'master', bytes: `$ENDOFF:100 ${REPLID} 0 12\r\n` }]);
    expect(types(valkey)).toEqual(['link-open', 'replica-command', 'master-reply', 'replica-command', 'master-reply', 'endoff']);
  });

  it('a fault injected before the link is known comes right after its open, whichever it is', () => {
    for (const [first, open] of [[resp('GET', 'a'), 'client-open'], [resp('PSYNC', '?', '-1'), 'link-open']]) {
      const out: ReplEvent[] = [];
      const d = new LinkDecoder(1, (e) => out.push(e));
      d.feed({ kind: 'open', link: 1, at: 0, replica: 'r', master: 'm' });
      d.feed({ kind: 'fault', link: 1, at: 1, fault: 'slice', detail: {} });
      d.feed({ kind: 'bytes', link: 1, at: 2, from: 'replica', chunk: Buffer.from(first) });
      expect(types(out).slice(0, 2)).toEqual([open, 'fault']);
    }
  });

  it('a link that sends nothing before it closes (the master unreachable, a port probe) opens and closes as before', () => {
    expect(types(decodeEveryChunking([open, close]))).toEqual(['link-open', 'link-close']);
  });

  it('a link the master (or repl-spy) closes before it asked for a sync is a replica whose handshake failed, as before', () => {
    const events = decodeEveryChunking([open, { from: 'replica', bytes: resp('PING') }, { close: 'master', at: 5 }]);
    expect(types(events)).toEqual(['link-open', 'replica-command', 'link-close']);
  });

  it('a link whose server speaks first, or that starts with missing bytes, is read as replication (a capture joined mid-stream)', () => {
    expect(types(decodeEveryChunking([{ from: 'master', bytes: '+CONTINUE\r\n' + resp('SET', 'a', '1') }]))).toEqual(['master-reply', 'continue', 'command']);
    expect(types(decodeEveryChunking([{ from: 'replica', bytes: '', gap: 10, reason: 'capture started mid-connection' }, { from: 'replica', bytes: resp('REPLCONF', 'ACK', '5') }]))).toEqual(['gap', 'resync', 'ack']);
  });
});
