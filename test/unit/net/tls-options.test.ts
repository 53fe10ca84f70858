// TLS settings from flags: Redis's names for protocols and ciphers mapped to Node's, and the flag combinations
// that make no sense refused at start with the flag named.
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { clientTlsFromFlags, protocolsAndCiphers, serverTlsFromFlags, tlsFromFlags } from '../../../src/net/tls-options.js';

const defaults = tls.DEFAULT_CIPHERS.split(':');
const defaultSuites = defaults.filter((c) => c.startsWith('TLS_')).join(':');
const defaultCiphers = defaults.filter((c) => !c.startsWith('TLS_')).join(':');

describe('--tls-protocols, as Redis names them', () => {
  it.each([
    ['TLSv1.2 TLSv1.3', 'TLSv1.2', 'TLSv1.3'],
    ['TLSv1.3', 'TLSv1.3', 'TLSv1.3'],
    ['  tlsv1.3   TLSV1.2 ', 'TLSv1.2', 'TLSv1.3'],
    ['TLSv1 TLSv1.1 TLSv1.2', 'TLSv1', 'TLSv1.2'],
  ])('%j is the range %s to %s', (protocols, minVersion, maxVersion) => {
    expect(protocolsAndCiphers({ tlsProtocols: protocols })).toEqual({ minVersion, maxVersion });
  });

  it('a gap, an unknown name or an empty list is a usage error naming the flag', () => {
    expect(() => protocolsAndCiphers({ tlsProtocols: 'TLSv1 TLSv1.3' })).toThrow(/--tls-protocols "TLSv1 TLSv1.3" leaves a gap: .*from TLSv1 to TLSv1.3/);
    expect(() => protocolsAndCiphers({ tlsProtocols: 'TLSv1.2 SSLv3' })).toThrow(/--tls-protocols: unknown protocol "SSLv3"/);
    expect(() => protocolsAndCiphers({ tlsProtocols: ' ' })).toThrow(/--tls-protocols is empty/);
  });

  it('none given: Node decides (TLSv1.2 and TLSv1.3, as Redis defaults to)', () => {
    expect(protocolsAndCiphers({})).toEqual({});
  });
});

describe('--tls-ciphers and --tls-ciphersuites', () => {
  it('--tls-ciphers changes TLSv1.2 and below only: the TLSv1.3 suites stay (Node would drop TLSv1.3 without them)', () => {
    expect(protocolsAndCiphers({ tlsCiphers: 'ECDHE-RSA-AES128-GCM-SHA256' }).ciphers).toBe(`${defaultSuites}:ECDHE-RSA-AES128-GCM-SHA256`);
  });

  it('--tls-ciphersuites changes TLSv1.3 only', () => {
    expect(protocolsAndCiphers({ tlsCiphersuites: 'TLS_AES_128_GCM_SHA256' }).ciphers).toBe(`TLS_AES_128_GCM_SHA256:${defaultCiphers}`);
  });

  it('both: one list for Node, the TLSv1.3 suites first', () => {
    expect(protocolsAndCiphers({ tlsCiphers: 'HIGH', tlsCiphersuites: 'TLS_CHACHA20_POLY1305_SHA256' }).ciphers).toBe('TLS_CHACHA20_POLY1305_SHA256:HIGH');
  });
});

describe('which flags go together', () => {
  it('no TLS flag: both legs plaintext', () => {
    expect(tlsFromFlags({})).toEqual({ listen: null, upstream: null });
  });

  it('protocol or cipher flags with no TLS connection are refused', () => {
    expect(() => tlsFromFlags({ tlsCiphersuites: 'TLS_AES_128_GCM_SHA256' })).toThrow(/--tls-ciphersuites applies to TLS connections, and there is none/);
    expect(tlsFromFlags({ upstreamTls: true, tlsProtocols: 'TLSv1.3' }).upstream).not.toBeNull();
  });

  it('--upstream-* without --upstream-tls, or --tls-ca without a certificate, is refused', () => {
    expect(() => clientTlsFromFlags({ upstreamSni: 'redis.example' })).toThrow(/--upstream-sni needs --upstream-tls/);
    expect(() => clientTlsFromFlags({ upstreamInsecure: true })).toThrow(/--upstream-insecure needs --upstream-tls/);
    expect(() => serverTlsFromFlags({ tlsCa: 'ca.crt' })).toThrow(/--tls-ca needs --tls-cert and --tls-key/);
    expect(() => serverTlsFromFlags({ tlsKey: 'k.pem' })).toThrow(/--tls-cert and --tls-key go together/);
    expect(() => clientTlsFromFlags({ upstreamTls: true, upstreamKey: 'k.pem' })).toThrow(/--upstream-cert and --upstream-key go together/);
  });

  it('--upstream-tls alone: verified against the bundled CAs, no client certificate; insecure says so', () => {
    expect(clientTlsFromFlags({ upstreamTls: true })).toMatchObject({
      verify: true,
      summary: "TLS, server certificate verified against Node's bundled CAs, no client certificate",
    });
    expect(clientTlsFromFlags({ upstreamTls: true, upstreamInsecure: true, upstreamSni: 'redis.example' })).toMatchObject({
      verify: false,
      servername: 'redis.example',
      summary: 'TLS, server certificate NOT verified (--upstream-insecure), no client certificate, server name redis.example',
    });
  });

  it('an unreadable file is a usage error naming the flag and the file', () => {
    expect(() => clientTlsFromFlags({ upstreamTls: true, upstreamCa: '/nonexistent/ca.crt' })).toThrow(/--upstream-ca \/nonexistent\/ca\.crt: cannot read it \(ENOENT\)/);
  });
});
