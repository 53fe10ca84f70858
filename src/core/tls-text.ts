// The TLS facts of a link in one line, as the line output and the TUI's detail view show them, e.g.
// `tls replica-leg=TLSv1.3 TLS_AES_256_GCM_SHA384 cert="CN=replica-1" verified; master-leg=plaintext`.
import type { LinkTls, TlsLeg } from './events.js';

export function tlsText(tls: LinkTls): string {
  const leg = (l: TlsLeg | undefined): string =>
    l ? `${l.protocol} ${l.cipher}${l.peerSubject ? ` cert="${l.peerSubject}"` : ''}${l.verified ? ' verified' : ' not-verified'}` : 'plaintext';
  return `tls replica-leg=${leg(tls.replica)}; master-leg=${leg(tls.master)}`;
}
