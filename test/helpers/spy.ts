// repl-spy in-process, as the CLI wires it: the proxy appends its wire events to the tap, the pipeline drains it,
// and every decoded event is kept exactly as `--json` prints it (parsed back), so tests assert on the public
// contract. `slice` re-chunks every link at random from its first byte (live decoder fuzzing).
import { createPipeline } from '../../src/decode/pipeline.js';
import type { ReplEvent } from '../../src/core/events.js';
import { makeRdbSink } from '../../src/decode/rdb-sink.js';
import { jsonLine } from '../../src/output/json-output.js';
import type { LinkFault } from '../../src/core/fault-action.js';
import { startProxy, type Proxy, type ProxyOptions } from '../../src/proxy/index.js';
import { createWireTap, type WireTap } from '../../src/proxy/tap.js';
import { waitFor, type RedisServer } from './redis.js';

/** One `--json` line, parsed. */
export type JsonEvent = { type: ReplEvent['type']; at: number; link: number; [field: string]: any };

export interface Spy {
  proxy: Proxy;
  port: number;
  events: JsonEvent[];
  /** The `--json` lines as printed (for "the secret never appears" checks). */
  lines: string[];
  tap: WireTap;
  /** bytes events and their bytes, so far */
  wire: { chunks: number; bytes: number };
  /** Resolves once the decoders have taken every wire event the proxy has forwarded so far. */
  drained(): Promise<void>;
  /** Errors thrown by the test's own subscriber (should stay empty). */
  subscriberErrors: unknown[];
  of(type: ReplEvent['type'], link?: number): JsonEvent[];
  last(type: ReplEvent['type'], link: number): JsonEvent | undefined;
  /** Link ids in the order their `link-open` came. */
  links(): number[];
  /** The link whose replica announced `REPLCONF listening-port <port>` (the replica's own port). */
  linksOfReplica(replicaPort: number): number[];
  close(): Promise<void>;
}

export interface SpyOptions extends Pick<ProxyOptions, 'listenTls' | 'upstreamTls' | 'connectTimeoutMs'> {
  /** a slice fault on every link from its open on */
  slice?: Extract<LinkFault, { kind: 'slice' }>;
}

export async function startSpy(masterPort: number, { slice, ...proxyOptions }: SpyOptions = {}): Promise<Spy> {
  const events: JsonEvent[] = [];
  const lines: string[] = [];
  const subscriberErrors: unknown[] = [];
  const pipeline = createPipeline({ rdbSink: makeRdbSink, onSubscriberError: (err) => subscriberErrors.push(err) });
  pipeline.subscribe((e) => {
    const line = jsonLine(e);
    lines.push(line);
    events.push(JSON.parse(line) as JsonEvent);
  });
  const wire = { chunks: 0, bytes: 0 };
  const tap = createWireTap({ observers: [{ name: 'decoders', wire: pipeline.wire }] });
  const proxy: Proxy = await startProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: masterPort },
    onWire: (e) => {
      // the open comes before the link's first byte is read
      if (slice && e.kind === 'open') proxy.links.get(e.link)?.apply(slice);
      if (e.kind === 'bytes') {
        wire.chunks++;
        wire.bytes += e.chunk.length;
      }
      tap.append(e);
    },
    ...proxyOptions,
  });
  const of = (type: ReplEvent['type'], link?: number): JsonEvent[] =>
    events.filter((e) => e.type === type && (link === undefined || e.link === link));
  return {
    proxy,
    port: proxy.address().port,
    events,
    lines,
    tap,
    wire,
    subscriberErrors,
    of,
    last: (type, link) => of(type, link).at(-1),
    links: () => of('link-open').map((e) => e.link),
    linksOfReplica: (replicaPort) =>
      of('replica-command')
        .filter((e) => e.argv[0]?.toUpperCase() === 'REPLCONF' && listeningPort(e.argv) === replicaPort)
        .map((e) => e.link),
    async drained() {
      do await new Promise((r) => setTimeout(r, 1));
      while (tap.stats().some((o) => o.queuedBytes > 0));
    },
    async close() {
      await proxy.close();
      tap.flush();
      pipeline.end(Date.now());
    },
  };
}

function listeningPort(argv: string[]): number | null {
  for (let i = 1; i + 1 < argv.length; i += 2) {
    if (argv[i]!.toLowerCase() === 'listening-port') return Number(argv[i + 1]);
  }
  return null;
}

/** Waits until Redis and the decoded events agree: each link's last command offset is the master's
 *  master_repl_offset, each replica's slave_repl_offset is that too, and each link's last ACK says so with no lag. */
export async function waitForCaughtUp(master: RedisServer, replicas: RedisServer[], spy: Spy): Promise<void> {
  let state = '';
  await waitFor(
    async () => {
      const masterOffset = Number((await master.info('replication')).master_repl_offset);
      const rows = await Promise.all(
        replicas.map(async (replica) => {
          const replicaOffset = Number((await replica.info('replication')).slave_repl_offset);
          const link = spy.linksOfReplica(replica.port).at(-1)!;
          return { replicaOffset, command: spy.last('command', link)?.offset, ack: spy.last('ack', link) };
        }),
      );
      state = JSON.stringify({ masterOffset, rows });
      return rows.every(
        (r) => r.replicaOffset === masterOffset && r.command === masterOffset && r.ack?.offset === masterOffset && r.ack.lagBytes === 0,
      );
    },
    20_000,
    'links, replicas and ACKs at the master offset',
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last state ${state}`);
  });
}
