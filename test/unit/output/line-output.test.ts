// The readable line of a link-open says which legs are TLS, with protocol, cipher and the certificate shown.
import { describe, expect, it } from 'vitest';
import type { LinkOpenEvent } from '../../../src/core/events.js';
import { textLine } from '../../../src/output/line-output.js';

const at = Date.UTC(2026, 0, 1, 12, 0, 1, 234);
const open: LinkOpenEvent = { type: 'link-open', at, link: 2, replica: '127.0.0.1:50000', master: '10.0.0.5:6379' };

describe('link-open line', () => {
  it('plaintext: the addresses only, as before', () => {
    expect(textLine(open)).toBe('12:00:01.234 #2 link-open replica=127.0.0.1:50000 master=10.0.0.5:6379');
  });

  it('one TLS leg: protocol, cipher, the certificate the other end showed, whether it was verified', () => {
    const tls = {
      master: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peerSubject: 'CN=master', peerIssuer: 'CN=ca', localSubject: null, verified: false },
    };
    expect(textLine({ ...open, tls })).toBe(
      '12:00:01.234 #2 link-open replica=127.0.0.1:50000 master=10.0.0.5:6379 tls replica-leg=plaintext; master-leg=TLSv1.3 TLS_AES_256_GCM_SHA384 cert="CN=master" not-verified',
    );
  });
});
