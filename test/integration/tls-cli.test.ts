// The TLS flags through the built CLI, as a user runs them: the proxy with TLS on both legs says so at start and
// its capture (mode 0600) records each link's TLS facts; `replay` gives the same events; `replay --to` loads a
// TLS-only server that replicates over TLS; one plaintext leg and --upstream-insecure are said out loud; bad TLS
// flags are usage errors (exit 2) naming the flag.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_VERSION } from '../../src/capture/format.js';
import { openCapture } from '../../src/capture/reader.js';
import type { WireEvent } from '../../src/core/events.js';
import { runCli, startCliProxy, type CliRun } from '../helpers/cli.js';
import { requireRedis, startRedis, startReplicaThrough, waitFor, waitForLinkUp, type RedisServer } from '../helpers/redis.js';
import type { JsonEvent } from '../helpers/spy.js';
import { makeTestCerts, requireTls, type TestCerts } from '../helpers/tls.js';

const hasTls = requireRedis() && requireTls();

describe.skipIf(!hasTls)('repl-spy CLI with TLS', () => {
  let certs: TestCerts;
  let master: RedisServer;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-tls-cli-'));
  const file = path.join(tmp, 'tls.rspy');
  const cleanups: (() => Promise<unknown>)[] = [];
  let tlsFlags: string[];

  beforeAll(async () => {
    certs = makeTestCerts();
    master = await startRedis({ tls: { cert: certs.master, ca: certs.ca } });
    await master.cmd('DEBUG', 'POPULATE', '2000', 'cli', '64');
    tlsFlags = [
      '--tls-cert', certs.proxy.cert, '--tls-key', certs.proxy.key, '--tls-ca', certs.ca,
      '--upstream-tls', '--upstream-ca', certs.ca, '--upstream-cert', certs.proxy.cert, '--upstream-key', certs.proxy.key,
    ];
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await master?.stop();
    certs?.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('a run with TLS on both legs, then its capture', () => {
    let run: CliRun;
    let live: JsonEvent[];
    let masterDigest: unknown;

    beforeAll(async () => {
      const proxy = await startCliProxy(master.port, [...tlsFlags, '--json', '--capture', file]);
      run = proxy;
      cleanups.push(() => run.stop());
      const replica = await startReplicaThrough(proxy.port, { tls: { cert: certs.replica1, ca: certs.ca, replication: true } });
      cleanups.push(() => replica.stop());
      await waitForLinkUp(replica, 30_000);
      for (let i = 0; i < 20; i++) await master.cmd('SET', `after:${i}`, String(i));
      const offset = Number((await master.info('replication')).master_repl_offset);
      await waitFor(() => run.events().some((e) => e.type === 'command' && e.offset === offset), 20_000, 'the last command decoded');
      masterDigest = await master.cmd('DEBUG', 'DIGEST');
      await replica.stop();
      expect(await run.stop()).toEqual({ code: 0, signal: null });
      live = run.events();
    });

    it('says at start which legs are TLS and how each is verified', () => {
      expect(run.stderr()).toContain(`repl-spy: replicas → repl-spy: TLS, client certificates required and verified against ${certs.ca}`);
      expect(run.stderr()).toContain(`repl-spy: repl-spy → master: TLS, server certificate verified against ${certs.ca}, client certificate ${certs.proxy.cert}`);
      expect(run.stderr()).not.toMatch(/one leg is TLS|WARNING/);
    });

    it('the capture is owner-only and records each link as TLS with protocol, cipher and certificate subjects', async () => {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const capture = await openCapture(file);
      expect(capture.formatVersion).toBe(FORMAT_VERSION);
      const events: WireEvent[] = [];
      for await (const e of capture.events()) events.push(e);
      const open = events.find((e) => e.kind === 'open');
      expect(open?.kind === 'open' && open.tls).toEqual(live.find((e) => e.type === 'link-open')!.tls);
      expect(open?.kind === 'open' && open.tls?.replica?.peerSubject).toBe('O=repl-spy lab, CN=replica-1');
      expect(open?.kind === 'open' && open.tls?.master).toMatchObject({ protocol: 'TLSv1.3', cipher: expect.stringMatching(/^TLS_/), peerSubject: 'O=repl-spy lab, CN=master' });
    });

    it('replay gives the live events, TLS facts included', () => {
      const replayed = runCli(['replay', file, '--json']);
      return replayed.exited.then(({ code }) => {
        expect(code).toBe(0);
        expect(replayed.events()).toEqual(live);
      });
    });

    it('replay --to loads a TLS-only server that replicates over TLS (its tls-replication yes)', async () => {
      const target = await startRedis({ tls: { cert: certs.replica2, ca: certs.ca, replication: true } });
      cleanups.push(() => target.stop());
      const r = runCli(['replay', file, '--to', `127.0.0.1:${target.port}`, ...tlsFlags]);
      expect(await r.exited).toEqual({ code: 0, signal: null });
      expect(r.stderr()).toMatch(/loaded link 1/);
      expect(await target.cmd('DEBUG', 'DIGEST')).toEqual(masterDigest);
    });

    it('replay --to a TLS server without the listener flags: says the target speaks TLS', async () => {
      const target = await startRedis({ tls: { cert: certs.replica2, ca: certs.ca, replication: true } });
      cleanups.push(() => target.stop());
      const upstreamOnly = ['--upstream-tls', '--upstream-ca', certs.ca, '--upstream-cert', certs.proxy.cert, '--upstream-key', certs.proxy.key];
      const r = runCli(['replay', file, '--to', `127.0.0.1:${target.port}`, '--timeout', '20000', ...upstreamOnly]);
      expect((await r.exited).code).toBe(1);
      expect(r.stderr()).toMatch(/the target speaks TLS to repl-spy \(its tls-replication is yes\): give --tls-cert and --tls-key/);
    });
  });

  it('one plaintext leg and --upstream-insecure are said at start', async () => {
    const run = await startCliProxy(master.port, ['--upstream-tls', '--upstream-insecure', '--json', '--no-capture']);
    cleanups.push(() => run.stop());
    await waitFor(() => /one leg is TLS/.test(run.stderr()), 10_000, 'the start lines');
    expect(run.stderr()).toContain('repl-spy: replicas → repl-spy: plaintext');
    expect(run.stderr()).toContain('one leg is TLS, the other plaintext: the replication stream crosses the replica leg unencrypted');
    expect(run.stderr()).toMatch(/repl-spy: WARNING: --upstream-insecure: the master's certificate is NOT verified/);
    expect(await run.stop()).toEqual({ code: 0, signal: null });
  });

  it.each([
    [['--tls-cert', 'CERT'], /--tls-cert and --tls-key go together/],
    [['--tls-cert', 'CERT', '--tls-key', 'OTHER_KEY'], /--tls-cert\/--tls-key: the private key does not belong to the certificate/],
    [['--tls-cert', '/nonexistent.crt', '--tls-key', 'KEY'], /--tls-cert \/nonexistent\.crt: cannot read it \(ENOENT\)/],
    [['--tls-cert', 'CERT', '--tls-key', 'KEY', '--tls-protocols', 'TLSv1.1 TLSv1.3'], /--tls-protocols "TLSv1\.1 TLSv1\.3" leaves a gap/],
    [['--tls-cert', 'CERT', '--tls-key', 'KEY', '--tls-protocols', 'SSLv3'], /--tls-protocols: unknown protocol "SSLv3"/],
    [['--upstream-ca', 'CA'], /--upstream-ca needs --upstream-tls/],
    [['--upstream-tls', '--upstream-cert', 'CERT'], /--upstream-cert and --upstream-key go together/],
    [['--upstream-tls', '--tls-ciphers', 'NO-SUCH-CIPHER', '--tls-ciphersuites', 'NO_SUCH_SUITE'], /no cipher of the list is known/],
  ])('bad TLS flags %j: exit 2 with one line naming the flag', async (args, message) => {
    const fill = (a: string): string =>
      ({ CERT: certs.proxy.cert, KEY: certs.proxy.key, OTHER_KEY: certs.master.key, CA: certs.ca })[a] ?? a;
    const run = runCli(['--listen', '0', '--upstream', `127.0.0.1:${master.port}`, '--json', '--no-capture', ...args.map(fill)]);
    expect(await run.exited).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toMatch(message);
    expect(run.stderr().trim().split('\n')).toHaveLength(1);
  });
});
