// `repl-spy lab --tls --masteruser`: every server TLS-only (tls-port, port 0, tls-replication yes) with the lab's
// throwaway CA, replicas authenticating as an ACL user that may only replicate, every link TLS on both legs, and
// the lab's own side connections (loading, INFO readings for the resync reasons) over TLS too.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRedis } from '../helpers/redis.js';
import { requireTls } from '../helpers/tls.js';
import { LabRun, until } from './lab-harness.js';

const hasTls = requireRedis() && requireTls();
let run: LabRun | null = null;

afterEach(async () => {
  await run?.stop();
  run = null;
});

describe.skipIf(!hasTls)('repl-spy lab --tls', () => {
  it('runs every server TLS-only and every link TLS on both legs, replicas as an ACL masteruser', async () => {
    run = await LabRun.start(['--tls', '--masteruser', 'repl', '--replicas', '2', '--keys', '500', '--rate', '0']);
    const { status } = run;
    expect(status.tls?.ca.startsWith(status.dir)).toBe(true);
    expect(run.stderr).toMatch(/TLS on every link, ACL user repl/);
    expect(run.stderr).toContain(`redis-cli --tls --cacert ${status.tls!.ca}`);
    await until(() => /all 2 replicas in sync/.test(run!.stderr), 60_000, () => `the replicas in sync\n${run!.stderr}`);

    for (const server of [status.master, ...status.replicas]) {
      expect(await run.cmd(server, 'CONFIG', 'GET', 'port')).toEqual(['port', '0']);
      expect(await run.cmd(server, 'CONFIG', 'GET', 'tls-replication')).toEqual(['tls-replication', 'yes']);
    }
    const digest = await run.cmd(status.master, 'DEBUG', 'DIGEST');
    for (const replica of status.replicas) expect(await run.cmd(replica, 'DEBUG', 'DIGEST')).toEqual(digest);

    const opens = run.events.filter((e) => e.type === 'link-open');
    expect(opens).toHaveLength(2);
    for (const open of opens) {
      const tls = open.tls as Record<string, Record<string, unknown>>;
      expect(tls.replica).toMatchObject({ protocol: 'TLSv1.3', verified: true, peerSubject: expect.stringMatching(/^O=repl-spy lab, CN=replica-[12]$/), localSubject: 'O=repl-spy lab, CN=repl-spy' });
      expect(tls.master).toMatchObject({ protocol: 'TLSv1.3', verified: true, peerSubject: 'O=repl-spy lab, CN=master', localSubject: 'O=repl-spy lab, CN=repl-spy' });
    }
    const auths = run.events.filter((e) => e.type === 'replica-command' && (e.argv as string[])[0] === 'AUTH');
    expect(auths.map((e) => e.argv)).toEqual([['AUTH', 'repl', '***'], ['AUTH', 'repl', '***']]);
    // the resync reasons come from the INFO readings of the lab's (TLS) side connections
    for (const e of run.events.filter((x) => x.type === 'fullresync')) expect(e.reasonCode).toBeDefined();

    const dir = status.dir;
    expect((await run.stop()).code).toBe(0);
    run = null;
    expect(existsSync(dir)).toBe(false); // certificates and keys went with it
  });
});
