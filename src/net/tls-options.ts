// TLS settings from command-line flags, for both roles repl-spy plays: a server replicas connect to (`--tls-*`)
// and a client of a Redis server (`--upstream-*`: the master, and every side connection). Files are read and the
// settings checked here, at start: a missing file, a key that does not match its certificate or an unknown
// protocol is a usage error, never a failed link later. The protocol and cipher flags take Redis's names and
// syntax (tls-protocols, tls-ciphers, tls-ciphersuites) and apply to both roles, as they do in Redis.
import { readFileSync } from 'node:fs';
import tls, { type SecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { ReplSpyError } from '../core/errors.js';

/** The flags as commander gives them (camelCase of the option names). */
export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsProtocols?: string;
  tlsCiphers?: string;
  tlsCiphersuites?: string;
  upstreamTls?: boolean;
  upstreamCa?: string;
  upstreamCert?: string;
  upstreamKey?: string;
  upstreamSni?: string;
  upstreamInsecure?: boolean;
}

/** How repl-spy accepts TLS connections (from replicas). */
export interface ServerTls {
  /** for tls.createServer */
  options: SecureContextOptions;
  /** a CA was given: a client certificate is required and must be signed by it (Redis's tls-auth-clients yes) */
  requireClientCert: boolean;
  /** what the start-up line says, e.g. "TLS, client certificates verified against ca.crt" */
  summary: string;
}

/** How repl-spy connects with TLS to a Redis server. */
export interface ClientTls {
  secureContext: SecureContext;
  /** the name sent as SNI and checked against the server's certificate (default: the host dialled) */
  servername?: string;
  /** false with --upstream-insecure: the server's certificate is not verified at all */
  verify: boolean;
  summary: string;
}

const PROTOCOLS: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Both roles from one set of flags; protocol or cipher flags with neither role TLS are refused (they would
 *  silently do nothing). */
export function tlsFromFlags(f: TlsFlags): { listen: ServerTls | null; upstream: ClientTls | null } {
  const listen = serverTlsFromFlags(f);
  const upstream = clientTlsFromFlags(f);
  const setting = (['tlsProtocols', 'tlsCiphers', 'tlsCiphersuites'] as const).find((k) => f[k] !== undefined);
  if (!listen && !upstream && setting) {
    throw usage(`--${kebab(setting)} applies to TLS connections, and there is none`, 'add --tls-cert/--tls-key (replicas) or --upstream-tls (the server)');
  }
  return { listen, upstream };
}

/** The listener's TLS, or null when no --tls-cert/--tls-key was given (plaintext). */
export function serverTlsFromFlags(f: TlsFlags): ServerTls | null {
  if (!f.tlsCert && !f.tlsKey) {
    if (f.tlsCa) throw usage('--tls-ca needs --tls-cert and --tls-key', 'the CA verifies replicas on a TLS listener; give the listener a certificate and key');
    return null;
  }
  if (!f.tlsCert || !f.tlsKey) throw usage('--tls-cert and --tls-key go together', 'give both: the certificate replicas see, and its private key');
  const options: SecureContextOptions = {
    ...protocolsAndCiphers(f),
    cert: readPem('--tls-cert', f.tlsCert),
    key: readPem('--tls-key', f.tlsKey),
    ...(f.tlsCa ? { ca: readPem('--tls-ca', f.tlsCa) } : {}),
  };
  check(options, '--tls-cert/--tls-key');
  const summary = f.tlsCa ? `TLS, client certificates required and verified against ${f.tlsCa}` : 'TLS, no client certificates asked (give --tls-ca to require them)';
  return { options, requireClientCert: Boolean(f.tlsCa), summary };
}

/** The upstream TLS, or null when --upstream-tls was not given (plaintext). */
export function clientTlsFromFlags(f: TlsFlags): ClientTls | null {
  if (!f.upstreamTls) {
    const stray = (['upstreamCa', 'upstreamCert', 'upstreamKey', 'upstreamSni', 'upstreamInsecure'] as const).find((k) => f[k]);
    if (stray) throw usage(`--${kebab(stray)} needs --upstream-tls`, 'add --upstream-tls to connect to the server with TLS');
    return null;
  }
  if (Boolean(f.upstreamCert) !== Boolean(f.upstreamKey)) {
    throw usage('--upstream-cert and --upstream-key go together', 'give both: the client certificate the server verifies, and its private key');
  }
  const options: SecureContextOptions = {
    ...protocolsAndCiphers(f),
    ...(f.upstreamCa ? { ca: readPem('--upstream-ca', f.upstreamCa) } : {}),
    ...(f.upstreamCert ? { cert: readPem('--upstream-cert', f.upstreamCert), key: readPem('--upstream-key', f.upstreamKey!) } : {}),
  };
  const verify = !f.upstreamInsecure;
  const summary = [
    'TLS',
    verify ? `server certificate verified against ${f.upstreamCa ?? "Node's bundled CAs"}` : 'server certificate NOT verified (--upstream-insecure)',
    f.upstreamCert ? `client certificate ${f.upstreamCert}` : 'no client certificate',
    ...(f.upstreamSni ? [`server name ${f.upstreamSni}`] : []),
  ].join(', ');
  return { secureContext: check(options, '--upstream-cert/--upstream-key'), servername: f.upstreamSni, verify, summary };
}

/** --tls-protocols as Redis writes it ("TLSv1.2 TLSv1.3"), and the cipher lists. Node takes a contiguous range
 *  of versions and one cipher string that holds the TLSv1.3 suites (TLS_*) and the older ciphers together. */
export function protocolsAndCiphers(f: TlsFlags): Pick<SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers'> {
  const out: Pick<SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers'> = {};
  if (f.tlsProtocols !== undefined) {
    const names = f.tlsProtocols.split(/\s+/).filter(Boolean);
    const indexes = names.map((name) => {
      const i = PROTOCOLS.findIndex((p) => p.toLowerCase() === name.toLowerCase());
      if (i < 0) throw usage(`--tls-protocols: unknown protocol "${name}"`, `use Redis's names, e.g. "TLSv1.2 TLSv1.3" (known: ${PROTOCOLS.join(', ')})`);
      return i;
    });
    if (indexes.length === 0) throw usage('--tls-protocols is empty', 'e.g. --tls-protocols "TLSv1.2 TLSv1.3"');
    const lo = Math.min(...indexes);
    const hi = Math.max(...indexes);
    if (new Set(indexes).size !== hi - lo + 1) {
      throw usage(`--tls-protocols "${f.tlsProtocols}" leaves a gap`, `repl-spy takes a range of versions: list every version from ${PROTOCOLS[lo]} to ${PROTOCOLS[hi]}`);
    }
    out.minVersion = PROTOCOLS[lo];
    out.maxVersion = PROTOCOLS[hi];
  }
  if (f.tlsCiphers !== undefined || f.tlsCiphersuites !== undefined) {
    const defaults = tls.DEFAULT_CIPHERS.split(':');
    const suites = f.tlsCiphersuites ?? defaults.filter((c) => c.startsWith('TLS_')).join(':');
    const ciphers = f.tlsCiphers ?? defaults.filter((c) => !c.startsWith('TLS_')).join(':');
    out.ciphers = [suites, ciphers].filter(Boolean).join(':');
  }
  return out;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw usage(`${flag} ${file}: cannot read it (${code})`, 'give the path of a PEM file');
  }
}

/** Builds the context once, so a bad certificate, key or cipher list fails at start. */
function check(options: SecureContextOptions, what: string): SecureContext {
  try {
    return tls.createSecureContext(options);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/key values mismatch/i.test(message)) throw usage(`${what}: the private key does not belong to the certificate`, 'give the key the certificate was made for');
    if (/no cipher match/i.test(message)) throw usage('--tls-ciphers/--tls-ciphersuites: no cipher of the list is known', 'use OpenSSL cipher names, as in Redis (tls-ciphers, tls-ciphersuites)');
    throw usage(`${what}: ${message}`, 'check that the files are PEM certificates and keys, and the key is not encrypted');
  }
}

function usage(message: string, hint: string): ReplSpyError {
  return new ReplSpyError('RSPY_BAD_ARGS', message, { hint });
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
