// Resync reasons and loops with real servers under `repl-spy lab`: each scenario makes Redis answer a PSYNC in
// a known way, and the event stream must say why, in Redis's terms.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { requireRedis } from '../helpers/redis.js';
import { LabRun, until, type LabEvent } from './lab-harness.js';

const hasRedis = requireRedis();
let run: LabRun | null = null;

afterEach(async () => {
  await run?.stop('SIGINT');
  run = null;
});

async function startInSync(args: string[], replicas: number): Promise<LabRun> {
  const lab = await LabRun.start(['--replicas', String(replicas), '--keys', '100', ...args]);
  run = lab;
  await until(() => new RegExp(`all ${replicas} replicas in sync`).test(lab.stderr), 30_000, () => `the replicas in sync\n${lab.stderr}`);
  return lab;
}

const ofType = (type: string, code?: string) => (e: LabEvent) => e.type === type && (code === undefined || e.reasonCode === code);

describe.skipIf(!hasRedis)('repl-spy lab: resync reasons', () => {
  it('a short cut gives +CONTINUE, explained as a partial resync within the backlog', async () => {
    const lab = await startInSync([], 1);
    // The INFO side channel polls every 200 ms: let it read the history the replica now follows (the master
    // took a new replid when its first replica arrived), so the reason can name the backlog window.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const from = lab.events.length;
    expect(await lab.fault({ replica: 1, cut: true })).toMatchObject({ ok: true });
    await lab.waitEvent((e) => e.type === 'fault' && e.fault === 'cut', 10_000, 'the cut as an event', from);
    const cont = await lab.waitEvent(ofType('continue'), 20_000, 'a +CONTINUE after the cut', from);
    expect(cont.reasonCode).toBe('within-backlog');
    expect(cont.reason).toMatch(/^partial resync within the backlog from offset \d+ \(backlog \d+\.\.\d+/);
    expect(lab.events.slice(from).some(ofType('fullresync'))).toBe(false);
  });

  it('a freeze while more than repl-backlog-size is written gives +FULLRESYNC, explained as offset outside the backlog', async () => {
    const lab = await startInSync(['--rate', '0'], 1);
    const { master, replicas } = lab.status;
    await lab.cmd(master, 'CONFIG', 'SET', 'repl-backlog-size', 65536);
    // short timeouts on both sides, so the frozen link is given up while the freeze lasts
    await lab.cmd(master, 'CONFIG', 'SET', 'repl-timeout', 2);
    await lab.cmd(replicas[0]!, 'CONFIG', 'SET', 'repl-timeout', 2);
    const from = lab.events.length;
    expect(await lab.fault({ replica: 1, freeze: '5s' })).toMatchObject({ ok: true });
    await lab.waitEvent((e) => e.type === 'fault' && e.fault === 'freeze', 10_000, 'the freeze as an event', from);
    const client = await lab.client(master);
    const value = 'v'.repeat(4096);
    await Promise.all(Array.from({ length: 64 }, (_, i) => client.send(['SET', `big:${i}`, value]))); // 256 KiB > 64 KiB
    const full = await lab.waitEvent(ofType('fullresync'), 30_000, 'a +FULLRESYNC after the freeze', from);
    expect(full.reasonCode).toBe('outside-backlog');
    expect(full.reason).toMatch(/^offset outside the backlog: the replica asked for \d+, the backlog holds \d+\.\.\d+ \(repl-backlog-size 65536\)/);
    const [, asked, first] = /asked for (\d+), the backlog holds (\d+)/.exec(String(full.reason))!;
    expect(Number(asked)).toBeLessThan(Number(first));
  });

  it('REPLICAOF NO ONE on a replica, then re-pointing the others at it, is explained as a failover', async () => {
    const lab = await startInSync(['--rate', '0'], 3);
    const [promoted, ...others] = lab.status.replicas as [typeof lab.status.master, ...(typeof lab.status.master)[]];
    const [host, port] = promoted.proxy.split(':');
    const from = lab.events.length;
    await lab.cmd(promoted, 'REPLICAOF', 'NO', 'ONE');
    await Promise.all(others.map((r) => lab.cmd(r, 'REPLICAOF', host!, Number(port))));
    await until(() => lab.events.slice(from).filter(ofType('continue', 'failover-new-replid')).length === 2, 30_000, () => `two +CONTINUE <new replid>\n${JSON.stringify(lab.events.slice(from).filter((e) => e.type === 'continue' || e.type === 'fullresync'))}`);
    const continues = lab.events.slice(from).filter(ofType('continue'));
    for (const c of continues) {
      expect(c.reason).toMatch(/^new replid after a failover: the master continues the replica's history \w+… .*as \w+…/);
    }
    expect(lab.events.slice(from).some(ofType('fullresync'))).toBe(false);
  });

  it('a replica whose link is slowed past a tiny client-output-buffer-limit is flagged as a full-sync loop', async () => {
    const lab = await startInSync(['--rate', '0', '--fault', 'replica=1,bandwidth=1mb'], 1);
    const { master, replicas } = lab.status;
    await lab.cmd(master, 'CONFIG', 'SET', 'client-output-buffer-limit', 'replica 64kb 32kb 1');
    const writer = await lab.client(master);
    let writing = true;
    const value = 'w'.repeat(1024);
    const load = (async () => {
      for (let i = 0; writing; i++) {
        await writer.send(['SET', `load:${i % 1000}`, value]).catch(() => undefined);
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const from = lab.events.length;
    await lab.cmd(replicas[0]!, 'REPLICAOF', 'NO', 'ONE');
    await lab.cmd(replicas[0]!, 'REPLICAOF', '127.0.0.1', Number(master.proxy.split(':')[1]));
    try {
      const loop = await lab.waitEvent((e) => e.type === 'sync-loop', 90_000, 'a sync-loop event', from);
      expect(loop.count).toBeGreaterThanOrEqual(3);
      expect(loop.replica).toBe(`127.0.0.1:${replicas[0]!.port}`);
      expect(loop.pattern).toMatch(/^\d+ full syncs in [\d.]+s \(.+\); earlier attempts: .*closed by master/);
      expect(lab.events.slice(from).filter(ofType('fullresync')).length).toBeGreaterThanOrEqual(2);
      // Redis's own word for why it dropped the replica
      expect(readFileSync(master.log, 'utf8')).toMatch(/scheduled to be closed ASAP for overcoming of output buffer limits/);
    } finally {
      writing = false;
      await load;
    }
  });
});
