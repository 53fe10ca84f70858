// The cluster lab's faults with real cluster nodes, through its control interface: CLUSTER FAILOVER (plain and
// FORCE) on a replica, SIGKILL of a master and its revival, a reshard of a slot range with its keys, and a link
// fault aimed at a node. Redis is the oracle: the nodes' INFO replication (role, replid, replid2, offsets).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/core/key-slot.js';
import { parseInfo, requireRedis } from '../helpers/redis.js';
import { LabRun, until, type LabEvent, type LabServerStatus } from './lab-harness.js';

const hasRedis = requireRedis();
const PASSWORD = 'cluster-faults-pw';
const NODE_TIMEOUT_MS = 3000; // the lab's cluster-node-timeout

type NodeStatus = LabServerStatus & { bus: number; id: string; running: boolean };

/** Polls an async check (a server's INFO) until it gives a value. */
async function eventually<T>(get: () => Promise<T | false | null | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!hasRedis)('repl-spy lab --cluster: faults', () => {
  let lab: LabRun;
  let nodes: NodeStatus[];
  const node = (name: string): NodeStatus => nodes.find((n) => n.name === name)!;
  const addr = (n: NodeStatus): string => `127.0.0.1:${n.port}`;
  const info = async (n: NodeStatus): Promise<Record<string, string>> => parseInfo(String(await lab.cmd(n, 'INFO', 'replication')));
  const story = (from: number): LabEvent[] => lab.events.slice(from).filter((e) => e.type === 'failover');

  beforeAll(async () => {
    lab = await LabRun.start(['--cluster', '3', '--cluster-replicas', '1', '--password', PASSWORD, '--rate', '0']);
    nodes = (lab.status as unknown as { nodes: NodeStatus[] }).nodes;
    await until(() => /cluster_state:ok/.test(lab.stderr) || lab.proc.exitCode !== null, 60_000, () => `the cluster\n${lab.stderr}`);
    expect(lab.proc.exitCode, lab.stderr).toBeNull();
  }, 90_000);

  afterAll(async () => {
    const end = await lab?.stop();
    expect(end?.code).toBe(0);
    expect(lab.stderr).toMatch(/servers stopped/);
  });

  /** A CLUSTER FAILOVER on `replica`: promoted (its INFO's replid), the old master's PSYNC through the promoted
   *  node's proxy for the history it kept as replid2, answered +CONTINUE with the new replid. */
  async function clusterFailover(spec: string, replicaName: string, oldMasterName: string): Promise<void> {
    const [replica, oldMaster] = [node(replicaName), node(oldMasterName)];
    const from = lab.events.length;
    const res = await lab.fault({ spec });
    expect(res.ok, res.error).toBe(true);
    expect(res.result).toMatch(new RegExp(`CLUSTER FAILOVER.* sent to ${replicaName}`));
    await lab.waitEvent((e) => e.type === 'failover' && e.step === 'streaming', 30_000, `${spec}: streaming again`, from);
    const promoted = await lab.waitEvent((e) => e.type === 'failover' && e.step === 'promoted' && e.server === replica.proxy, 10_000, `${spec}: promoted in INFO`, from);
    const now = await info(replica);
    expect(now.role).toBe('master');
    expect(promoted.replid).toBe(now.master_replid);
    const steps = story(from);
    expect(steps[0]).toMatchObject({ step: 'started', server: oldMaster.proxy });
    const back = steps.find((e) => e.step === 'old-master-back')!;
    expect(back, JSON.stringify(steps, null, 1)).toBeDefined();
    expect(back.server).toBe(replica.proxy); // through the promoted node's proxy
    expect(back.master).toBe(addr(replica));
    expect(back.replid).toBe(now.master_replid2);
    const answer = steps.find((e) => e.step === 'resync' && e.link === back.link)!;
    expect(answer).toMatchObject({ outcome: 'continue', replid: now.master_replid });
    const streaming = steps.find((e) => e.step === 'streaming')!;
    expect(streaming.recoveryMs).toBeGreaterThan(0);
    expect(streaming.recoveryMs).toBeLessThan(30_000);
    const demoted = await eventually(async () => {
      const i = await info(oldMaster);
      return i.role === 'slave' && i;
    }, 10_000, `${oldMasterName} a replica`);
    expect(Number(demoted.master_port)).toBe(Number(replica.proxy.split(':')[1]));
  }

  it('shard=1,cluster-failover: replica-1-1 takes over, master-1 resumes through its proxy with +CONTINUE <new replid>', async () => {
    await clusterFailover('shard=1,cluster-failover', 'replica-1-1', 'master-1');
  });

  it('node=replica-2-1,cluster-failover=force: the same story without the old master\'s agreement', async () => {
    await clusterFailover('node=replica-2-1,cluster-failover=force', 'replica-2-1', 'master-2');
  });

  it('shard=3,kill-master: the replica is promoted after the node timeout; revive brings master-3 back as its replica', async () => {
    const [replica, master] = [node('replica-3-1'), node('master-3')];
    const from = lab.events.length;
    const res = await lab.fault({ spec: 'shard=3,kill-master' });
    expect(res.ok, res.error).toBe(true);
    expect(res.result).toMatch(/SIGKILL master-3/);
    const promoted = await lab.waitEvent((e) => e.type === 'failover' && e.step === 'promoted' && e.server === replica.proxy, 30_000, 'replica-3-1 promoted', from);
    expect(promoted.replid).toBe((await info(replica)).master_replid);
    const streaming = await lab.waitEvent((e) => e.type === 'failover' && e.step === 'streaming', 10_000, 'the shard served again', from);
    // the cluster waits for the node timeout before it fails the master over
    expect(streaming.recoveryMs).toBeGreaterThanOrEqual(NODE_TIMEOUT_MS);
    expect(streaming.recoveryMs).toBeLessThan(30_000);
    expect(story(from).some((e) => e.step === 'master-unreachable')).toBe(true);
    const status = (await lab.liveStatus()) as unknown as { shards: { shard: number; master: string; down: string[] }[] };
    expect(status.shards[2]).toMatchObject({ master: 'replica-3-1', down: ['master-3'] });

    const revived = await lab.fault({ spec: 'shard=3,revive' });
    expect(revived).toMatchObject({ ok: true, result: 'revive: master-3 (restarted)' });
    const back = await lab.waitEvent((e) => e.type === 'failover' && e.step === 'old-master-back', 30_000, 'master-3 back as a replica', from);
    expect(back.server).toBe(replica.proxy);
    await lab.waitEvent((e) => e.type === 'failover' && e.step === 'resync' && e.link === back.link, 10_000, 'the answer to master-3', from);
    const demoted = await eventually(async () => {
      const i = await info(master).catch(() => null);
      return i?.role === 'slave' && i.master_link_status === 'up' && i;
    }, 30_000, 'master-3 streaming as a replica');
    expect(Number(demoted.master_port)).toBe(Number(replica.proxy.split(':')[1]));
  }, 90_000);

  it('shard=1,reshard=2,slots=100: the keys move with MIGRATE (DEL on the source\'s stream, RESTORE on the target\'s), every replica at its master\'s offset', async () => {
    // shard 1 is served by replica-1-1 now, shard 2 by replica-2-1; the last 100 slots of shard 1: 5361-5460
    const [source, target] = [node('replica-1-1'), node('replica-2-1')];
    const keys: string[] = [];
    for (let i = 0; keys.length < 20; i++) {
      const slot = keySlot(Buffer.from(`moved:${i}`));
      if (slot >= 5361 && slot <= 5460) keys.push(`moved:${i}`);
    }
    for (const k of keys) expect(await lab.cmd(source, 'SET', k, `value of ${k}`)).toBe('OK');
    const from = lab.events.length;
    const res = await lab.fault({ spec: 'shard=1,reshard=2,slots=100' });
    expect(res.ok, res.error).toBe(true);
    expect(res.result).toMatch(/moving slots 5361-5460 \(100\) with their keys from replica-1-1 \(shard 1\) to replica-2-1 \(shard 2\)/);
    const done = await until(() => /reshard: slots 5361-5460 \(100\) and (\d+) keys moved/.exec(lab.stderr), 30_000, () => `the reshard\n${lab.stderr}`);
    expect(Number(done[1])).toBeGreaterThanOrEqual(keys.length);

    // the keys a command names: a MIGRATE of several keys is one DEL of them all; RESTORE names one
    const commands = (master: NodeStatus, name: string): Set<string> =>
      new Set(lab.events.slice(from).filter((e) => e.type === 'command' && e.master === addr(master) && (e.argv as string[])[0] === name)
        .flatMap((e) => (name === 'DEL' ? (e.argv as string[]).slice(1) : [(e.argv as string[])[1]!])));
    await until(() => keys.every((k) => commands(source, 'DEL').has(k)), 10_000, () => 'every moved key DELeted on the source\'s replication stream');
    await until(() => keys.every((k) => commands(target, 'RESTORE-ASKING').has(k) || commands(target, 'RESTORE').has(k)), 10_000, () => 'every moved key RESTOREd on the target\'s replication stream');
    for (const k of keys) expect(await lab.cmd(target, 'GET', k)).toBe(`value of ${k}`);
    const slots = (await lab.cmd(target, 'CLUSTER', 'COUNTKEYSINSLOT', keySlot(Buffer.from(keys[0]!)))) as number;
    expect(slots).toBeGreaterThan(0);

    // after it, every replica's link ends at its master's master_repl_offset
    for (const [m, r] of [['replica-1-1', 'master-1'], ['replica-2-1', 'master-2'], ['replica-3-1', 'master-3']] as const) {
      const [master, replica] = [node(m), node(r)];
      await eventually(async () => {
        const [mi, ri] = [await info(master), await info(replica)];
        const last = lab.events.filter((e) => e.type === 'command' && e.master === addr(master)).at(-1);
        return mi.master_repl_offset === ri.master_repl_offset && last !== undefined && last.offset === Number(mi.master_repl_offset);
      }, 30_000, `${r} at ${m}'s offset`);
    }
  }, 90_000);

  it('node=master-1,cut: a link fault aimed at a node cuts its link as a replica (of replica-1-1 now)', async () => {
    const from = lab.events.length;
    const res = await lab.fault({ spec: 'node=master-1,cut' });
    expect(res.ok, res.error).toBe(true);
    expect(res.result).toMatch(/applied to link \d+/);
    const cut = await lab.waitEvent((e) => e.type === 'fault' && e.master === addr(node('replica-1-1')), 10_000, 'the cut', from);
    await lab.waitEvent((e) => e.type === 'link-close' && e.link === cut.link, 10_000, 'the cut link closed', from);
    await lab.waitEvent((e) => (e.type === 'continue' || e.type === 'fullresync') && e.master === addr(node('replica-1-1')), 30_000, 'master-1 syncing again', from);
  });

  it('bad specs: a shard or node the lab does not have, a Sentinel failover, and a cluster fault without a target are refused', async () => {
    expect(await lab.fault({ spec: 'shard=4,kill-master' })).toMatchObject({ ok: false, error: expect.stringMatching(/there is no shard 4: the lab has 3/) });
    expect(await lab.fault({ spec: 'node=master-9,cluster-failover' })).toMatchObject({ ok: false, error: expect.stringMatching(/there is no node master-9/) });
    expect(await lab.fault({ spec: 'failover=kill' })).toMatchObject({ ok: false, error: expect.stringMatching(/no Sentinel/) });
    expect(await lab.fault({ spec: 'kill-master' })).toMatchObject({ ok: false, error: expect.stringMatching(/give shard=N or node=NAME/) });
    // replica-1-1 is shard 1's master since the first test
    expect(await lab.fault({ spec: 'node=replica-1-1,cluster-failover' })).toMatchObject({ ok: false, error: expect.stringMatching(/replica-1-1 is the master of shard 1: name one of its replicas/) });
  });
});
