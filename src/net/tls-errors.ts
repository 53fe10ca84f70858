// TLS failures in words an operator can act on: what went wrong in the handshake (naming the certificate problem
// OpenSSL found) and which flag or Redis setting fixes it. One table per role: repl-spy as the client of a Redis
// server (the master leg, side connections) and as the server replicas connect to.

export interface TlsProblem {
  what: string;
  hint: string;
  /** the other end ended the handshake (it sent an alert) */
  peerEnded?: boolean;
}

type Rule = [codes: string[], describe: (err: NodeJS.ErrnoException) => TlsProblem];

const NOT_TLS = ['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_RECORD_LAYER_FAILURE'];
const NO_COMMON_VERSION = ['ERR_SSL_UNSUPPORTED_PROTOCOL', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'ERR_SSL_NO_PROTOCOLS_AVAILABLE'];
const NO_COMMON_CIPHER = ['ERR_SSL_NO_SHARED_CIPHER', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'];
const PEER_REJECTED_OUR_CERT = [
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
];
const UNTRUSTED = [
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
];
const OUT_OF_DATE = ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'];

const plaintextPortHint = 'is it a plaintext port? connect to its tls-port, or leave out --upstream-tls';
const versionHint = 'both sides need a TLS version in common: see --tls-protocols (and tls-protocols on the Redis side)';
const cipherHint = 'both sides need a cipher in common: see --tls-ciphers/--tls-ciphersuites (and the same settings on the Redis side)';

/** repl-spy dialled a Redis server (`role` names it: "master", "server") and the handshake failed. */
const clientRules = (role: string): Rule[] => [
  [UNTRUSTED, (e) => ({ what: `its certificate is not trusted: ${e.message} (${e.code})`, hint: `give --upstream-ca the CA that signed the ${role}'s certificate (its tls-cert-file)` })],
  [OUT_OF_DATE, (e) => ({ what: `its certificate is out of date: ${e.message} (${e.code})`, hint: `renew the ${role}'s certificate, or check this machine's clock` })],
  [['ERR_TLS_CERT_ALTNAME_INVALID'], (e) => ({ what: `its certificate is not for this name: ${e.message}`, hint: '--upstream-sni NAME checks the certificate against a name it holds' })],
  [['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'], () => ({ what: `the ${role} requires a client certificate (tls-auth-clients) and repl-spy sent none`, hint: 'give --upstream-cert and --upstream-key' })],
  [PEER_REJECTED_OUR_CERT, (e) => ({ what: `the ${role} rejected repl-spy's client certificate (${alertOf(e)})`, hint: `the ${role}'s tls-ca-cert-file must hold the CA that signed --upstream-cert` })],
  [NOT_TLS, (e) => ({ what: `the ${role} does not answer in TLS on this port (${e.code})`, hint: plaintextPortHint })],
  [['ERR_TLS_HANDSHAKE_TIMEOUT'], (e) => ({ what: `the ${role} accepted the connection but not the TLS handshake (${e.message})`, hint: plaintextPortHint })],
  [NO_COMMON_VERSION, (e) => ({ what: `no TLS version in common (${e.code})`, hint: versionHint })],
  [NO_COMMON_CIPHER, (e) => ({ what: `no cipher in common (${e.code})`, hint: cipherHint })],
];

/** A replica connected to repl-spy's TLS listener and the handshake failed. */
const serverRules: Rule[] = [
  [NOT_TLS, (e) => ({ what: `the replica spoke plaintext to a TLS listener (${e.code})`, hint: 'set tls-replication yes on the replica, or start repl-spy without --tls-cert/--tls-key' })],
  [['ERR_TLS_HANDSHAKE_TIMEOUT'], () => ({ what: 'the replica did not complete a TLS handshake in time', hint: 'is it speaking TLS (tls-replication yes)?' })],
  [PEER_REJECTED_OUR_CERT, (e) => ({ what: `the replica rejected repl-spy's certificate (${alertOf(e)})`, hint: "the replica's tls-ca-cert-file must hold the CA that signed --tls-cert", peerEnded: true })],
  [NO_COMMON_VERSION, (e) => ({ what: `no TLS version in common (${e.code})`, hint: versionHint })],
  [NO_COMMON_CIPHER, (e) => ({ what: `no cipher in common (${e.code})`, hint: cipherHint })],
];

/** The problem of a failed TLS connection to a Redis server, or null when `err` is not a TLS failure. */
export function clientTlsProblem(err: NodeJS.ErrnoException, role: string): TlsProblem | null {
  return match(clientRules(role), err);
}

/** The problem of a replica's failed TLS handshake, or null when `err` is not a TLS failure. */
export function serverTlsProblem(err: NodeJS.ErrnoException): TlsProblem | null {
  return match(serverRules, err);
}

/** The server reset the connection after the handshake, before it sent a byte. */
export function resetAfterHandshake(role: string): TlsProblem {
  return {
    what: `the ${role} reset the connection before sending a byte (ECONNRESET)`,
    hint: `a ${role} with tls-auth-clients yes does so to a client without a certificate it trusts: check --upstream-cert and --upstream-key`,
  };
}

/** A replica whose handshake completed but whose certificate does not pass --tls-ca. */
export function clientCertProblem(peerSubject: string | null, authorizationError: string): TlsProblem {
  if (peerSubject === null) {
    return {
      what: 'the replica sent no client certificate',
      hint: '--tls-ca requires one, as tls-auth-clients yes does: give the replica tls-cert-file (or tls-client-cert-file) signed by that CA',
    };
  }
  return {
    what: `the replica's certificate (${peerSubject}) is not signed by --tls-ca (${authorizationError})`,
    hint: 'sign it with the CA given to --tls-ca, or give --tls-ca the CA that signed it',
  };
}

/** "what: hint" as one line. */
export function problemText(p: TlsProblem): string {
  return `${p.what}: ${p.hint}`;
}

function match(rules: Rule[], err: NodeJS.ErrnoException): TlsProblem | null {
  const code = err.code ?? '';
  const rule = rules.find(([codes]) => codes.includes(code));
  return rule ? rule[1](err) : null;
}

/** "unknown ca" from "...:tlsv1 alert unknown ca:..." */
function alertOf(err: NodeJS.ErrnoException): string {
  return /alert ([a-z ]+)/.exec(err.message)?.[1]?.trim() ?? err.code ?? 'alert';
}
