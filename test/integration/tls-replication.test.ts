// Replication over TLS through repl-spy, with real TLS-only servers (tls-port, port 0, tls-replication yes) and an
// ACL masteruser: full and partial resyncs decoded exactly as plaintext (offsets equal INFO, replicas identical),
// the TLS facts of each leg, one leg TLS and the other plaintext, and every way a handshake fails: each closes
// that link with a reason naming the problem, and the proxy goes on serving.
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, waitFor, waitForLinkUp, type RedisServer, type RedisTls } from '../helpers/redis.js';
import { startSpy, waitForCaughtUp, type JsonEvent, type Spy } from '../helpers/spy.js';
import { listenTlsOf, makeTestCerts, requireTls, upstreamTlsOf, type TestCerts } from '../helpers/tls.js';

const hasTls = requireRedis() && requireTls();
const PASSWORD = 'tls-default-Pw-51ab';
const REPL_PASSWORD = 'tls-repl-Pw-0c3f';
const LAB = 'O=repl-spy lab';

describe.skipIf(!hasTls)('replication over TLS through repl-spy', () => {
  let certs: TestCerts;
  let master: RedisServer;
  let masterTls: RedisTls;
  const cleanups: (() => Promise<void>)[] = [];
  const later = <T extends { stop(): Promise<void> } | { close(): Promise<void> }>(thing: T): T => {
    cleanups.unshift(() => ('stop' in thing ? thing.stop() : thing.close()));
    return thing;
  };
  const tlsReplica = (spy: Spy, tls: Partial<RedisTls> = {}): Promise<RedisServer> =>
    startReplicaThrough(spy.port, {
      masterauth: REPL_PASSWORD,
      args: ['--masteruser', 'repl'],
      tls: { cert: certs.replica1, ca: certs.ca, replication: true, ...tls },
    }).then(later);
  const digest = async (s: RedisServer): Promise<unknown> => s.cmd('DEBUG', 'DIGEST');
  const closes = (spy: Spy, pattern: RegExp): JsonEvent[] => spy.of('link-close').filter((e) => pattern.test(e.reason));

  beforeAll(async () => {
    certs = makeTestCerts();
    masterTls = { cert: certs.master, ca: certs.ca };
    master = await startRedis({ password: PASSWORD, tls: masterTls });
    // an ACL user that may only replicate, as Redis's documentation sets one up
    await master.cmd('ACL', 'SETUSER', 'repl', 'on', `>${REPL_PASSWORD}`, '+psync', '+replconf', '+ping');
    await master.cmd('DEBUG', 'POPULATE', '5000', 'key', '100');
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await master?.stop();
    certs?.remove();
  });

  describe('TLS on both legs, as an ACL masteruser', () => {
    let spy: Spy;
    let replica: RedisServer;

    beforeAll(async () => {
      spy = later(await startSpy(master.port, { listenTls: listenTlsOf(certs), upstreamTls: upstreamTlsOf(certs) }));
      replica = await tlsReplica(spy);
    });

    it('a full sync: decoded as plaintext, offsets equal INFO, the replica identical, each leg named', async () => {
      await waitForLinkUp(replica, 30_000);
      for (let i = 0; i < 50; i++) await master.cmd('SET', `tls:${i}`, `v${i}`);
      await waitForCaughtUp(master, [replica], spy);
      expect(await digest(replica)).toEqual(await digest(master));

      const [link] = spy.linksOfReplica(replica.port);
      expect(spy.of('replica-command', link).map((e) => e.argv)).toContainEqual(['AUTH', 'repl', '***']);
      expect(spy.of('fullresync', link)).toHaveLength(1);
      expect(spy.of('rdb-info', link).find((e) => e.phase === 'summary')?.info).toMatchObject({ checksum: 'verified' });
      expect(spy.of('protocol-violation')).toEqual([]);
      for (const line of spy.lines) expect(line).not.toContain(REPL_PASSWORD);

      const open = spy.of('link-open', link)[0]!;
      const leg = { protocol: 'TLSv1.3', cipher: expect.stringMatching(/^TLS_/), verified: true, localSubject: `${LAB}, CN=repl-spy` };
      expect(open.tls).toEqual({
        replica: { ...leg, peerSubject: `${LAB}, CN=replica-1`, peerIssuer: `${LAB}, CN=repl-spy lab CA` },
        master: { ...leg, peerSubject: `${LAB}, CN=master`, peerIssuer: `${LAB}, CN=repl-spy lab CA` },
      });
    });

    it('a partial resync after the link is cut: +CONTINUE, offsets equal INFO, the replica identical', async () => {
      const [first] = spy.linksOfReplica(replica.port);
      spy.proxy.links.get(first!)!.apply({ kind: 'cut' }, 'test cut');
      for (let i = 0; i < 50; i++) await master.cmd('SET', `after-cut:${i}`, `v${i}`);
      await waitFor(() => spy.linksOfReplica(replica.port).length >= 2, 30_000, 'the replica back on a new link');
      const second = spy.linksOfReplica(replica.port).at(-1)!;
      await waitFor(() => spy.of('continue', second).length === 1, 30_000, '+CONTINUE on the new link');
      await waitForCaughtUp(master, [replica], spy);
      expect(spy.of('fullresync', second)).toEqual([]);
      expect(spy.of('link-open', second)[0]!.tls.master.protocol).toBe('TLSv1.3');
      expect(await digest(replica)).toEqual(await digest(master));
    });

    it('a client with no certificate: that link closed with the reason, the proxy serves on', async () => {
      const client = tls.connect({ host: '127.0.0.1', port: spy.port, rejectUnauthorized: false });
      client.on('error', () => undefined);
      client.on('secureConnect', () => client.write('*1\r\n$4\r\nPING\r\n'));
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await waitFor(() => closes(spy, /sent no client certificate/).length === 1, 20_000, 'the refusal');
      await closed; // closed by the proxy, not left hanging
      const [refused] = closes(spy, /sent no client certificate/);
      expect(refused).toMatchObject({ by: 'proxy', reason: expect.stringMatching(/^replica 127\.0\.0\.1:\d+: TLS: the replica sent no client certificate: --tls-ca requires one/) });
      // its open and its close, nothing else: no master connection was opened for it
      expect(spy.events.filter((e) => e.link === refused!.link).map((e) => e.type)).toEqual(['link-open', 'link-close']);

      await master.cmd('SET', 'still', 'serving');
      await waitForCaughtUp(master, [replica], spy);
    });

    it('a replica certificate from another CA: closed with the reason naming the certificate problem', async () => {
      const rogue = await tlsReplica(spy, { cert: certs.rogue, issuer: certs.otherCa, helperCert: certs.replica2 });
      await waitFor(() => closes(spy, /CN=rogue/).length >= 1, 20_000, 'the refusal');
      expect(closes(spy, /CN=rogue/)[0]!.reason).toMatch(
        /TLS: the replica's certificate \(O=repl-spy lab, CN=rogue\) is not signed by --tls-ca \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
      );
      expect((await rogue.info('replication')).master_link_status).toBe('down');
      await rogue.stop();
    });

    it("a replica that does not trust repl-spy's CA: closed with the replica's alert", async () => {
      const doubter = await tlsReplica(spy, { cert: certs.replica2, ca: certs.otherCa, issuer: certs.ca, helperCert: certs.rogue });
      await waitFor(() => closes(spy, /rejected repl-spy's certificate/).length >= 1, 20_000, 'the refusal');
      expect(closes(spy, /rejected repl-spy's certificate/)[0]).toMatchObject({
        by: 'replica',
        reason: expect.stringMatching(/TLS handshake failed: the replica rejected repl-spy's certificate \(unknown ca\): the replica's tls-ca-cert-file/),
      });
      await doubter.stop();
    });

    it('a plaintext replica to the TLS listener: each attempt closed at once with the reason, not left hanging', async () => {
      const plain = later(await startReplicaThrough(spy.port, { masterauth: REPL_PASSWORD, args: ['--masteruser', 'repl'] }));
      // Redis retries about once a second: two refusals mean the first attempt was closed, not left waiting
      await waitFor(() => closes(spy, /spoke plaintext/).length >= 2, 20_000, 'two refused plaintext attempts');
      expect(closes(spy, /spoke plaintext/)[0]!.reason).toMatch(
        /TLS handshake failed: the replica spoke plaintext to a TLS listener \(ERR_SSL_WRONG_VERSION_NUMBER\): set tls-replication yes on the replica/,
      );
      await plain.stop();
      expect(spy.proxy.links.size).toBe(1); // only the good replica's link
    });
  });

  describe('the master leg', () => {
    it("an --upstream-ca that did not sign the master's certificate: the link closed naming the problem", async () => {
      const spy = later(await startSpy(master.port, { listenTls: listenTlsOf(certs), upstreamTls: upstreamTlsOf(certs, { ca: certs.otherCa }) }));
      const replica = await tlsReplica(spy);
      await waitFor(() => spy.of('link-close').length >= 1, 20_000, 'the failed master leg');
      expect(spy.of('link-close')[0]).toMatchObject({
        by: 'master',
        reason: expect.stringMatching(
          /^master 127\.0\.0\.1:\d+: TLS handshake failed: its certificate is not trusted: (self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\)|unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)): give --upstream-ca the CA/,
        ),
      });
      // the master leg never finished its handshake: the open before the close names no master TLS facts
      expect(spy.of('link-open')[0]).not.toHaveProperty('tls.master');
      await replica.stop();
    });

    it('no client certificate for a master that requires one: the link closed saying so', async () => {
      const spy = later(await startSpy(master.port, { listenTls: listenTlsOf(certs), upstreamTls: upstreamTlsOf(certs, { clientCert: false }) }));
      const replica = await tlsReplica(spy);
      await waitFor(() => spy.of('link-close').length >= 1, 20_000, 'the failed master leg');
      // TLSv1.3: the master checks the client certificate after the handshake, so the link opened first
      expect(spy.of('link-close')[0]).toMatchObject({ by: 'master' });
      // its alert, or (when the replica's first bytes reach the master after it closed) a reset that overtakes it
      expect(spy.of('link-close')[0]!.reason).toMatch(
        /^master 127\.0\.0\.1:\d+: TLS handshake failed: (the master requires a client certificate \(tls-auth-clients\) and repl-spy sent none: give --upstream-cert|the master reset the connection before sending a byte \(ECONNRESET\): a master with tls-auth-clients yes does so to a client without a certificate it trusts: check --upstream-cert)/,
      );
      await replica.stop();
    });

    it('--upstream-tls to a plaintext master: the link closed saying the handshake got no answer', async () => {
      const plainMaster = later(await startRedis());
      const spy = later(await startSpy(plainMaster.port, { listenTls: listenTlsOf(certs), upstreamTls: upstreamTlsOf(certs), connectTimeoutMs: 1_000 }));
      const replica = await tlsReplica(spy);
      await waitFor(() => spy.of('link-close').length >= 1, 20_000, 'the failed master leg');
      expect(spy.of('link-close')[0]!.reason).toMatch(
        /^master 127\.0\.0\.1:\d+: TLS handshake failed: the master accepted the connection but not the TLS handshake \(no TLS handshake within 1000 ms\): is it a plaintext port\?/,
      );
      await replica.stop();
    });

    it('--upstream-sni: a name the certificate is not for closes the link saying so; one it holds passes', async () => {
      const wrong = later(await startSpy(master.port, { listenTls: listenTlsOf(certs), upstreamTls: upstreamTlsOf(certs, { sni: 'redis.example' }) }));
      const replica = await tlsReplica(wrong);
      await waitFor(() => wrong.of('link-close').length >= 1, 20_000, 'the failed master leg');
      expect(wrong.of('link-close')[0]!.reason).toMatch(
        /TLS handshake failed: its certificate is not for this name: Hostname\/IP does not match certificate's altnames: Host: redis\.example\. is not in the cert's altnames: IP Address:127\.0\.0\.1, DNS:localhost: --upstream-sni NAME/,
      );
      await replica.stop();
      const right = later(await startSpy(master.port, { listenTls: listenTlsOf(certs), upstreamTls: upstreamTlsOf(certs, { sni: 'localhost' }) }));
      const good = await tlsReplica(right);
      await waitForLinkUp(good, 30_000);
      expect(right.of('link-open')[0]!.tls.master.verified).toBe(true);
      await good.stop();
    });

    it('--upstream-insecure: the sync goes through and the leg says its certificate was not verified', async () => {
      const spy = later(await startSpy(master.port, { listenTls: listenTlsOf(certs), upstreamTls: upstreamTlsOf(certs, { ca: certs.otherCa, insecure: true }) }));
      const replica = await tlsReplica(spy);
      await waitForLinkUp(replica, 30_000);
      const [open] = spy.of('link-open');
      expect(open!.tls.master).toMatchObject({ verified: false, peerSubject: `${LAB}, CN=master` });
      expect(open!.tls.replica.verified).toBe(true);
      expect(await digest(replica)).toEqual(await digest(master));
      await replica.stop();
    });
  });

  describe('one leg TLS, the other plaintext', () => {
    it('a plaintext replica through repl-spy to a TLS-only master', async () => {
      const spy = later(await startSpy(master.port, { upstreamTls: upstreamTlsOf(certs) }));
      const replica = later(await startReplicaThrough(spy.port, { masterauth: REPL_PASSWORD, args: ['--masteruser', 'repl'] }));
      await waitForLinkUp(replica, 30_000);
      await master.cmd('SET', 'mixed', '1');
      await waitForCaughtUp(master, [replica], spy);
      expect(await digest(replica)).toEqual(await digest(master));
      const [open] = spy.of('link-open');
      expect(Object.keys(open!.tls)).toEqual(['master']);
      expect(spy.of('protocol-violation')).toEqual([]);
      await replica.stop();
    });

    it('a TLS replica through repl-spy to a plaintext master', async () => {
      const plainMaster = later(await startRedis());
      await plainMaster.cmd('DEBUG', 'POPULATE', '1000', 'plain', '50');
      const spy = later(await startSpy(plainMaster.port, { listenTls: listenTlsOf(certs) }));
      const replica = later(await startReplicaThrough(spy.port, { tls: { cert: certs.replica1, ca: certs.ca, replication: true } }));
      await waitForLinkUp(replica, 30_000);
      await plainMaster.cmd('SET', 'mixed', '2');
      await waitForCaughtUp(plainMaster, [replica], spy);
      expect(await digest(replica)).toEqual(await digest(plainMaster));
      const [open] = spy.of('link-open');
      expect(Object.keys(open!.tls)).toEqual(['replica']);
      await replica.stop();
    });
  });
});
