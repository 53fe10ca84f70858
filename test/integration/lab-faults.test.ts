// Faults that wait for a point of the replication (the PSYNC, N% of the RDB, a replication offset), armed from
// the command line and from the control interface, against real servers. Each fault is an event.
import { afterEach, describe, expect, it } from 'vitest';
import { requireRedis } from '../helpers/redis.js';
import { LabRun, until, type LabEvent } from './lab-harness.js';

const hasRedis = requireRedis();
let run: LabRun | null = null;

afterEach(async () => {
  await run?.stop('SIGINT');
  run = null;
});

const cutOn = (link: number) => (e: LabEvent) => e.type === 'fault' && e.fault === 'cut' && e.link === link;

describe.skipIf(!hasRedis)('repl-spy lab: faults at chosen points', () => {
  it('cuts at the handshake, then at half the RDB, then at a replication offset', async () => {
    run = await LabRun.start([
      '--replicas', '1', '--keys', '5000', '--rate', '0',
      '--fault', 'replica=1,cut-at=handshake',
      '--fault', 'replica=1,bandwidth=256kb',
      '--fault', 'replica=1,cut-at-rdb=50%',
    ]);
    const lab = run;
    // 1. the first link is cut when the replica sends PSYNC, before any answer reaches it
    const psync1 = await lab.waitEvent((e) => e.type === 'psync', 20_000, 'the first PSYNC');
    const cut1 = await lab.waitEvent(cutOn(psync1.link), 10_000, 'the handshake cut');
    expect((cut1.detail as { reason: string }).reason).toBe('replica=1,cut-at=handshake: at the PSYNC, before the master answers');
    expect(lab.events.some((e) => e.link === psync1.link && e.type === 'rdb-start')).toBe(false);

    // 2. the next link is cut once half of its (slowed) RDB went through
    const rdb = await lab.waitEvent((e) => e.type === 'rdb-start' && e.link !== psync1.link, 20_000, 'an RDB on the next link');
    const cut2 = await lab.waitEvent(cutOn(rdb.link), 30_000, 'the cut at 50% of the RDB');
    const [, forwarded, pct, size] = /: (\d+) bytes of the RDB forwarded \((\d+)% of (\d+)\)$/.exec((cut2.detail as { reason: string }).reason)!;
    expect(Number(size)).toBe(rdb.size);
    expect(Number(pct)).toBeGreaterThanOrEqual(50);
    expect(Number(pct)).toBeLessThan(100);
    expect(Number(forwarded)).toBeLessThan(Number(size));
    expect(lab.events.some((e) => e.link === rdb.link && e.type === 'rdb-end')).toBe(false);

    // 3. the third sync completes; then a cut armed over the control interface at a replication offset
    await until(() => /all 1 replicas in sync/.test(lab.stderr), 60_000, () => 'the replica in sync');
    const info = String(await lab.cmd(lab.status.master, 'INFO', 'replication'));
    const offset = Number(/master_repl_offset:(\d+)/.exec(info)![1]) + 200;
    const armed = await lab.fault({ replica: 1, 'cut-at-offset': offset });
    expect(armed).toEqual({ ok: true, result: `replica=1,cut-at-offset=${offset}: armed, waits for replica 1` });
    for (let i = 0; i < 20; i++) await lab.cmd(lab.status.master, 'SET', `k${i}`, 'x'.repeat(50));
    const cut3 = await lab.waitEvent((e) => e.type === 'fault' && e.fault === 'cut' && String((e.detail as { reason: string }).reason).includes('cut-at-offset'), 20_000, 'the cut at the offset');
    const at = Number(/at offset (\d+)$/.exec((cut3.detail as { reason: string }).reason)![1]);
    expect(at).toBeGreaterThanOrEqual(offset);
    expect((await lab.liveStatus()).armedFaults).toEqual(['replica=1,bandwidth=256kb']); // the bandwidth stays with the replica
  });

  it('answers a bad fault with a clear error, and a closed link as closed', async () => {
    run = await LabRun.start(['--replicas', '1', '--keys', '10']);
    expect(await run.fault({ replica: 1, freeze: '5' })).toEqual({ ok: false, error: expect.stringMatching(/"5" is not a duration/) });
    const first = await run.waitEvent((e) => e.type === 'link-open', 20_000, 'a link');
    await run.fault({ link: first.link, cut: true });
    await run.waitEvent((e) => e.type === 'link-close' && e.link === first.link, 10_000, 'the link closed');
    expect(await run.fault({ link: first.link, cut: true })).toEqual({ ok: false, error: `link ${first.link} is closed` });
  });
});
