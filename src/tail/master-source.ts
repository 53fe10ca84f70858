// Where the master is: the address given, or the one Sentinel names now (`--follow sentinel://...`), asked again
// before every connection so that after a failover tail finds the promoted replica.
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort, parseHostPort, type HostPort } from '../core/host-port.js';
import { RespClient } from '../net/resp-client.js';
import type { ClientTls } from '../net/tls-options.js';

export interface MasterSource {
  /** for messages: "127.0.0.1:6379" or "mymaster via Sentinel 127.0.0.1:26379" */
  readonly label: string;
  resolve(): Promise<HostPort>;
  /** ask again this often while a link is up, and leave a master that is no longer the one named */
  readonly recheckMs?: number;
}

/** Sentinel is asked again every second while tail reads a master: a failover may leave it frozen or cut off. */
export const SENTINEL_RECHECK_MS = 1_000;

export function fixedMaster(master: HostPort): MasterSource {
  return { label: formatHostPort(master.host, master.port), resolve: async () => master };
}

export interface SentinelSpec {
  sentinels: HostPort[];
  name: string;
  user?: string;
  password?: string;
}

const SENTINEL_PORT = 26379;

/** `sentinel://[[user]:password@]host[:port][,host[:port]...]/mastername` (the credentials are Sentinel's own;
 *  the port defaults to Sentinel's 26379). */
export function parseSentinelUrl(text: string): SentinelSpec {
  const m = /^sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/]+)\/(.+)$/i.exec(text.trim());
  if (!m) {
    throw new ReplSpyError('RSPY_BAD_ARGS', `bad --follow "${text.replace(/:[^:@/]*@/, ':***@')}"`, {
      hint: 'expected sentinel://host:port[,host:port...]/mastername, e.g. sentinel://127.0.0.1:26379/mymaster',
    });
  }
  const [, user, password, hosts, name] = m;
  return {
    sentinels: hosts.split(',').map((h) => parseHostPort(/:\d*$/.test(h) ? h : `${h}:${SENTINEL_PORT}`)),
    name: decodeURIComponent(name),
    ...(user ? { user: decodeURIComponent(user) } : {}),
    ...(password !== undefined ? { password: decodeURIComponent(password) } : {}),
  };
}

/** Asks each Sentinel in turn `SENTINEL get-master-addr-by-name` until one answers with an address. `tls`: the
 *  master's TLS settings, which Sentinel's tls-port shares in a TLS deployment (null: plaintext). */
export function sentinelMaster(spec: SentinelSpec, tls: ClientTls | null): MasterSource {
  const where = spec.sentinels.map((s) => formatHostPort(s.host, s.port)).join(',');
  return {
    label: `${spec.name} via Sentinel ${where}`,
    recheckMs: SENTINEL_RECHECK_MS,
    async resolve() {
      const problems: string[] = [];
      for (const s of spec.sentinels) {
        try {
          const client = await RespClient.connect(s.host, s.port, spec.password, { user: spec.user, tls });
          try {
            const reply = await client.send(['SENTINEL', 'get-master-addr-by-name', spec.name]);
            if (Array.isArray(reply) && reply.length === 2) return { host: String(reply[0]), port: Number(reply[1]) };
            problems.push(`${formatHostPort(s.host, s.port)} knows no master named ${JSON.stringify(spec.name)}`);
          } finally {
            client.close();
          }
        } catch (err) {
          problems.push(`${formatHostPort(s.host, s.port)}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      throw new Error(`no Sentinel named the master: ${problems.join('; ')}`);
    },
  };
}
