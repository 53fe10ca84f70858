// The TLS flags, one definition for every command that listens for replicas or connects to a Redis server, and
// the start-up lines that say which leg is TLS (and shout when a certificate is not verified).
import type { Command } from 'commander';
import type { ClientTls, ServerTls } from '../net/tls-options.js';

/** Where replicas connect: --tls-cert, --tls-key, --tls-ca. */
export function addListenTlsOptions(cmd: Command, who = 'replicas'): Command {
  return cmd
    .option('--tls-cert <file>', `TLS for ${who}: the certificate repl-spy presents (PEM), with --tls-key`)
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--tls-ca <file>', `CA certificates (PEM): ${who} must present a client certificate signed by one (as tls-auth-clients yes)`);
}

/** A connection to a Redis server (`server` names it in the help: "the master", "the --to server"). */
export function addUpstreamTlsOptions(cmd: Command, server = 'the master'): Command {
  return cmd
    .option('--upstream-tls', `connect to ${server} with TLS`)
    .option('--upstream-ca <file>', `CA certificates (PEM) that ${server}'s certificate must be signed by (default: Node's bundled CAs)`)
    .option('--upstream-cert <file>', `client certificate (PEM) for ${server} (as tls-auth-clients requires), with --upstream-key`)
    .option('--upstream-key <file>', 'the private key of --upstream-cert (PEM)')
    .option('--upstream-sni <name>', `server name to send and to check ${server}'s certificate against (default: the host)`)
    .option('--upstream-insecure', `do NOT verify ${server}'s certificate (anyone on the path can pose as it)`);
}

/** Protocols and ciphers, named as in Redis; they apply to every TLS connection of the command. */
export function addTlsSettingsOptions(cmd: Command): Command {
  return cmd
    .option('--tls-protocols <list>', 'TLS versions, as Redis\'s tls-protocols, e.g. "TLSv1.2 TLSv1.3"')
    .option('--tls-ciphers <list>', "ciphers for TLSv1.2 and below (OpenSSL list, as Redis's tls-ciphers)")
    .option('--tls-ciphersuites <list>', "TLSv1.3 cipher suites (as Redis's tls-ciphersuites)");
}

/** What to say at start about the two legs of a proxy (nothing when both are plaintext). */
export function tlsStartLines(listen: ServerTls | null, upstream: ClientTls | null): { info: string[]; warnings: string[] } {
  if (!listen && !upstream) return { info: [], warnings: [] };
  const info = [`replicas → repl-spy: ${listen?.summary ?? 'plaintext'}`, `repl-spy → master: ${upstream?.summary ?? 'plaintext'}`];
  if (!listen || !upstream) {
    info.push(`one leg is TLS, the other plaintext: the replication stream crosses the ${listen ? 'master' : 'replica'} leg unencrypted`);
  }
  const warnings =
    upstream && !upstream.verify
      ? ["WARNING: --upstream-insecure: the master's certificate is NOT verified; anyone on the path to it can pose as the master and read or change the replication stream"]
      : [];
  return { info, warnings };
}

/** The legs in a few words for the TUI header, e.g. " [tls → tls]"; empty when both are plaintext. */
export function tlsLabel(listen: ServerTls | null, upstream: ClientTls | null): string {
  if (!listen && !upstream) return '';
  const master = upstream ? (upstream.verify ? 'tls' : 'tls NOT VERIFIED') : 'plain';
  return ` [${listen ? 'tls' : 'plain'} → ${master}]`;
}
