// What one TLS connection negotiated, as the link's `open` event and the capture record it: protocol, cipher,
// and who presented which certificate.
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { TlsLeg } from '../core/events.js';

export function tlsLegOf(socket: TLSSocket): TlsLeg {
  const peer = certificateNames(socket.getPeerCertificate());
  const local = certificateNames(socket.getCertificate());
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher().standardName,
    peerSubject: peer?.subject ?? null,
    peerIssuer: peer?.issuer ?? null,
    localSubject: local?.subject ?? null,
    verified: socket.authorized,
  };
}

/** Subject and issuer as one line each ("O=lab, CN=replica-1"), in the certificate's own order; null when the
 *  other end presented no certificate (Node gives an empty object then). */
export function certificateNames(cert: PeerCertificate | object | null): { subject: string; issuer: string } | null {
  const raw = cert && 'raw' in cert ? cert.raw : undefined;
  if (!raw) return null;
  const x509 = new X509Certificate(raw);
  const line = (name: string): string => name.split('\n').join(', ');
  return { subject: line(x509.subject), issuer: line(x509.issuer) };
}
