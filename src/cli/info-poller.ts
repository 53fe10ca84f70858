// The side channel of the resync reasons: reads `INFO replication` of each server a few times a second over its
// own connection (read-only, never in the forward path) and hands every reading that tells the analysis something
// new to the wire sink as a `server-info` event, so the capture records exactly what the live analysis used.
import type { WireServerInfo, WireSink } from '../core/events.js';
import { parseReplicationInfo } from '../decode/analysis/master-info.js';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import { RespClient, RespError } from '../net/resp-client.js';
import type { ClientTls } from '../net/tls-options.js';
import { wireNow } from '../core/clock.js';

export const INFO_POLL_MS = 200;

export interface InfoSource {
  /** "host:port" as the proxy dials it (the `master` of its links) */
  server: string;
  /** The text of INFO replication; rejects when the server cannot be read now (asked again next round). */
  read(): Promise<string>;
}

export interface InfoPoller {
  stop(): void;
  firstRound: Promise<void>;
  /** A round now (e.g. a replica's link closed: its PSYNC will come soon, better with a fresh reading). */
  readNow(): void;
}

export function pollServerInfo(sources: InfoSource[], onWire: WireSink): InfoPoller {
  const last = new Map<string, string>(); // server → the facts of its last reading handed on
  let busy = false;
  const round = async (): Promise<void> => {
    if (busy) return; // a slow server delays the next round rather than piling up requests
    busy = true;
    await Promise.all(
      sources.map(async ({ server, read }) => {
        const text = await read().catch(() => null);
        const at = wireNow();
        const info = text === null ? null : parseReplicationInfo(text, at);
        if (!info) return;
        const facts = JSON.stringify({ ...info, at: 0 });
        if (last.get(server) === facts) return; // nothing new: not worth a record
        last.set(server, facts);
        const e: WireServerInfo = { kind: 'server-info', at, server, text: text! };
        onWire(e);
      }),
    ).finally(() => (busy = false));
  };
  // A first reading right away: a replica's own history is known before it is pointed at the master.
  const firstRound = round();
  const timer = setInterval(() => void round(), INFO_POLL_MS);
  return { stop: () => clearInterval(timer), firstRound, readNow: () => void round() };
}

export interface SideAuth {
  user?: string;
  password?: string;
  /** the side connection is TLS when the master leg is */
  tls?: ClientTls | null;
}

/** A server read over a connection of our own (opened again on the next round after it failed). `onProblem`
 *  hears of each new problem once (unreachable, AUTH refused), `onRecovered` when reading works again. */
export function connectionSource(
  target: HostPort,
  auth: SideAuth,
  report: { onProblem(message: string): void; onRecovered(): void },
): InfoSource & { close(): void } {
  let client: RespClient | null = null;
  let problem: string | null = null;
  const fail = (message: string): never => {
    if (problem !== message) report.onProblem(message);
    problem = message;
    client?.close();
    client = null;
    throw new Error(message);
  };
  return {
    server: formatHostPort(target.host, target.port),
    async read() {
      if (!client) {
        client = await RespClient.connect(target.host, target.port, auth.password, { user: auth.user, tls: auth.tls }).catch((err: Error) =>
          fail(err instanceof RespError ? `AUTH refused (${err.message}): give the master's credentials with --master-user/--master-password or REDISCLI_AUTH` : `cannot connect (${(err as NodeJS.ErrnoException).code ?? err.message})`),
        );
      }
      const text = await client.send(['INFO', 'replication']).catch((err: Error) =>
        fail(err instanceof RespError ? `INFO replication refused (${err.message})${/NOAUTH/.test(err.message) ? ': the master needs a password: --master-password or REDISCLI_AUTH' : ''}` : `connection lost (${err.message})`),
      );
      if (problem !== null) {
        problem = null;
        report.onRecovered();
      }
      return String(text);
    },
    close() {
      client?.close();
      client = null;
    },
  };
}
