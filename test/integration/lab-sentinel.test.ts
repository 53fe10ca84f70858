// `repl-spy lab --sentinels 3`: real redis-sentinel processes monitor the master through its proxy, every server
// announcing its own listener, so a failover goes through repl-spy and its story is in the event stream, in order:
// the master's death, Sentinel's +sdown/+odown/+switch-master, the promoted replica, the others' PSYNC to it and its
// answer (+CONTINUE with the new replid), every replica streaming again, the old master back as a replica. Redis is
// the oracle: the replicas' decoded offsets equal the new master's master_repl_offset.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RespClient } from '../../src/net/resp-client.js';
import { parseInfo, requireRedis, requireSentinel, waitFor } from '../helpers/redis.js';
import { requireTls } from '../helpers/tls.js';
import { isAlive, LabRun, type LabEvent, type LabServerStatus } from './lab-harness.js';

const ready = requireRedis() && requireSentinel();
let run: LabRun | null = null;

afterEach(async () => {
  await run?.stop('SIGINT');
  run = null;
});

interface SentinelStatus {
  ready: boolean;
  problem: string | null;
  sentinels: { name: string; port: number; pid: number }[];
}

async function sentinelsReady(lab: LabRun): Promise<SentinelStatus> {
  let status: SentinelStatus | null = null;
  await waitFor(async () => !!(status = ((await lab.liveStatus()) as unknown as { sentinels: SentinelStatus }).sentinels)?.ready, 40_000, 'the Sentinels to know the master, its replicas and each other');
  return status!;
}

const step = (name: string) => (e: LabEvent) => e.type === 'failover' && e.step === name;
const said = (channel: string, prefix = '') => (e: LabEvent) => e.type === 'failover' && e.channel === channel && String(e.message).startsWith(prefix);

async function info(lab: LabRun, server: LabServerStatus): Promise<Record<string, string>> {
  return parseInfo(String(await lab.cmd(server, 'INFO', 'replication')));
}

/** Index of the first event from `from` that matches, failing with the story so far when there is none. */
function indexOf(events: LabEvent[], pred: (e: LabEvent) => boolean, what: string): number {
  const i = events.findIndex(pred);
  if (i < 0) throw new Error(`no ${what} in the story:\n${events.filter((e) => e.type === 'failover').map((e) => `${e.step}: ${e.detail}`).join('\n')}`);
  return i;
}

/**
 * After a failover: every replica link to the new master ends at its master_repl_offset, decoded and in INFO.
 * The Sentinels' hello messages are PUBLISHed through the master every 2 s, so its offset keeps moving: each poll
 * compares against the offset the master gives before and after reading the replicas, and passes only when the
 * two agree (a quiet moment) and everything equals it.
 */
async function replicasAtNewMasterOffset(lab: LabRun, newMaster: LabServerStatus, replicas: LabServerStatus[]): Promise<void> {
  for (let i = 0; i < 10; i++) await lab.cmd(newMaster, 'SET', `after-failover:${i}`, 'v');
  const masterOffset = async () => Number((await info(lab, newMaster)).master_repl_offset);
  const address = `127.0.0.1:${newMaster.port}`;
  const replicationLinks = () => {
    const links = lab.events.filter((e) => e.type === 'link-open' && e.master === address).map((e) => e.link);
    return links.filter((l) => lab.events.some((e) => e.link === l && e.type === 'psync') && !lab.events.some((e) => e.link === l && e.type === 'link-close'));
  };
  const lastOffset = (link: number) => lab.events.filter((e) => e.type === 'command' && e.link === link).at(-1)?.offset;
  let seen = '';
  await waitFor(
    async () => {
      const before = await masterOffset();
      const links = replicationLinks();
      const infos = await Promise.all(replicas.map((r) => info(lab, r)));
      const after = await masterOffset();
      const decoded = links.map(lastOffset);
      const acked = infos.map((i) => Number(i.slave_repl_offset));
      seen = `master ${before}..${after}, ${links.length} open links decoded at [${decoded}], replicas' INFO at [${acked}]`;
      return before === after && links.length === replicas.length && decoded.every((o) => o === before) && acked.every((o) => o === before);
    },
    30_000,
    `every replica of ${address} at the master's offset, decoded and in its INFO`,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${seen}`);
  });
}

describe.skipIf(!ready)('repl-spy lab --sentinels: failovers through repl-spy', () => {
  it('kill the master: the story in order, partial resyncs with the new replid, the replicas at the new master\'s offset; the old master, revived, rejoins through its proxy', async () => {
    run = await LabRun.start(['--sentinels', '3', '--replicas', '2', '--keys', '200', '--rate', '0']);
    const lab = run;
    await sentinelsReady(lab);
    const oldMaster = lab.status.master;
    const oldReplid = (await info(lab, oldMaster)).master_replid;
    const from = lab.events.length;
    expect(await lab.fault({ failover: 'kill' })).toMatchObject({ ok: true });
    await lab.waitEvent(step('streaming'), 60_000, 'every replica streaming again', from);
    const story = lab.events.slice(from);
    const order = [
      indexOf(story, step('started'), 'start'),
      indexOf(story, step('master-unreachable'), 'master unreachable'),
      indexOf(story, said('+sdown', 'master'), '+sdown of the master'),
      indexOf(story, said('+odown', 'master'), '+odown of the master'),
      indexOf(story, step('promoted'), 'promoted replica'),
      indexOf(story, step('psync'), 'PSYNC to the new master'),
      indexOf(story, step('resync'), 'its answer'),
      indexOf(story, step('streaming'), 'every replica streaming'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const promoted = story.find(step('promoted'))!;
    const newMaster = lab.status.replicas.find((r) => r.proxy === promoted.server)!;
    expect(newMaster).toBeDefined();
    const newInfo = await info(lab, newMaster);
    expect(newInfo.role).toBe('master');
    expect(newInfo.master_replid2).toBe(oldReplid);
    // the other replica asked with the old replid and was answered +CONTINUE with the new one
    const others = lab.status.replicas.filter((r) => r !== newMaster);
    const psyncs = story.filter(step('psync'));
    const answers = story.filter(step('resync'));
    expect(psyncs).toHaveLength(others.length);
    for (const p of psyncs) expect(p).toMatchObject({ replid: oldReplid, server: newMaster.proxy });
    for (const a of answers) expect(a).toMatchObject({ outcome: 'continue', replid: newInfo.master_replid });
    expect(story.find(step('streaming'))!.recoveryMs).toBeGreaterThan(0);
    await lab.waitEvent(said('+switch-master'), 30_000, '+switch-master', from);
    await replicasAtNewMasterOffset(lab, newMaster, others);

    // the old master comes back, Sentinel re-points it at the new master: its PSYNC goes through its own proxy
    const back = lab.events.length;
    expect(await lab.fault({ revive: true })).toMatchObject({ ok: true, result: expect.stringContaining('master (restarted)') });
    const rejoin = await lab.waitEvent(step('old-master-back'), 60_000, 'the old master back as a replica', back);
    expect(rejoin.server).toBe(newMaster.proxy);
    const answer = await lab.waitEvent((e) => step('resync')(e) && e.link === rejoin.link, 20_000, 'the answer to the old master', back);
    expect(answer.replid).toBe(newInfo.master_replid);
    const psync = lab.events.find((e) => e.type === 'psync' && e.link === rejoin.link)!;
    expect(rejoin.replid).toBe(psync.replid);
    const oldNow = await info(lab, oldMaster);
    expect(oldNow.role).toBe('slave');
    expect(`127.0.0.1:${oldNow.master_port}`).toBe(newMaster.proxy);
  });

  it('SENTINEL FAILOVER: the running master steps down, the replicas continue with the new replid, the old master rejoins', async () => {
    run = await LabRun.start(['--sentinels', '3', '--replicas', '2', '--keys', '200', '--rate', '0']);
    const lab = run;
    await sentinelsReady(lab);
    const oldReplid = (await info(lab, lab.status.master)).master_replid;
    const from = lab.events.length;
    expect(await lab.fault({ failover: 'sentinel' })).toMatchObject({ ok: true });
    await lab.waitEvent(step('streaming'), 60_000, 'every replica streaming again', from);
    const rejoin = await lab.waitEvent(step('old-master-back'), 60_000, 'the old master back as a replica', from);
    const story = lab.events.slice(from);
    const order = [indexOf(story, step('started'), 'start'), indexOf(story, step('promoted'), 'promoted'), indexOf(story, step('psync'), 'PSYNC'), indexOf(story, step('streaming'), 'streaming')];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const newMaster = lab.status.replicas.find((r) => r.proxy === story.find(step('promoted'))!.server)!;
    const newInfo = await info(lab, newMaster);
    for (const p of story.filter(step('psync'))) expect(p.replid).toBe(oldReplid);
    // the old master, alive all along, asks with its own history; the answer names the new replid (a full resync
    // when it went on past the point the new master took over, with that reason)
    expect(rejoin.replid).toBe(oldReplid);
    const answer = await lab.waitEvent((e) => step('resync')(e) && e.link === rejoin.link, 20_000, 'the answer to the old master', from);
    expect(answer.replid).toBe(newInfo.master_replid);
    if (answer.outcome === 'fullresync') expect(answer.reason).toMatch(/\S/);
    await replicasAtNewMasterOffset(lab, newMaster, [lab.status.master, ...lab.status.replicas.filter((r) => r !== newMaster)]);
  });

  it.skipIf(!requireTls())('--tls: the Sentinels are TLS-only, reach the servers through their TLS proxies with their own certificates, and a failover completes', async () => {
    run = await LabRun.start(['--tls', '--sentinels', '3', '--replicas', '2', '--keys', '200', '--rate', '0']);
    const lab = run;
    const { sentinels } = await sentinelsReady(lab);
    // a plain connection to a Sentinel gets nowhere: it speaks TLS only
    await expect(RespClient.connect('127.0.0.1', sentinels[0]!.port).then((c) => c.send(['PING']).finally(() => c.close()))).rejects.toThrow();
    // their monitoring connections are client links through the proxies, TLS on both legs, each with its own certificate
    const subjects = new Set(lab.events.filter((e) => e.type === 'client-open' && e.kind === 'sentinel').map((e) => (e.tls as { replica: { peerSubject: string } }).replica.peerSubject));
    expect([...subjects].sort()).toEqual(sentinels.map((s) => `O=repl-spy lab, CN=${s.name}`).sort());
    const oldReplid = (await info(lab, lab.status.master)).master_replid;
    const from = lab.events.length;
    expect(await lab.fault({ failover: 'kill' })).toMatchObject({ ok: true });
    await lab.waitEvent(step('streaming'), 60_000, 'every replica streaming again', from);
    const story = lab.events.slice(from);
    const newMaster = lab.status.replicas.find((r) => r.proxy === story.find(step('promoted'))!.server)!;
    const newInfo = await info(lab, newMaster);
    for (const p of story.filter(step('psync'))) expect(p.replid).toBe(oldReplid);
    for (const a of story.filter(step('resync'))) expect(a).toMatchObject({ outcome: 'continue', replid: newInfo.master_replid });
    await replicasAtNewMasterOffset(lab, newMaster, lab.status.replicas.filter((r) => r !== newMaster));
  });

  it('a master killed while a replica is mid-RDB: that replica full-syncs from the new master, the failover completes', async () => {
    run = await LabRun.start(['--sentinels', '3', '--replicas', '2', '--keys', '100000', '--rate', '0', '--fault', 'replica=1,bandwidth=16kb']);
    const lab = run;
    await sentinelsReady(lab);
    // replica 1's RDB crawls at 16 kB/s: it is still in it, and most of it is still at the master (the proxy reads
    // ahead only so far)
    // (a replication link: one with a PSYNC, not Sentinel's connection through the same proxy)
    const inRdb = (e: LabEvent) => e.type === 'rdb-start' && lab.events.some((x) => x.type === 'psync' && x.link === e.link) && !lab.events.some((x) => x.type === 'rdb-end' && x.link === e.link);
    const rdb = await lab.waitEvent(inRdb, 30_000, 'replica 1 in its RDB');
    const from = lab.events.length;
    expect(await lab.fault({ failover: 'kill' })).toMatchObject({ ok: true });
    expect(await lab.fault({ replica: 1, bandwidth: 'off' })).toMatchObject({ ok: true });
    await lab.waitEvent(step('streaming'), 60_000, 'every replica streaming again', from);
    const cut = lab.events.slice(from).find((e) => e.type === 'link-close' && e.link === rdb.link);
    expect(cut).toMatchObject({ by: 'master' });
    expect(lab.events.some((e) => e.type === 'rdb-end' && e.link === rdb.link), 'its RDB was cut').toBe(false);
    const full = lab.events.slice(from).filter(step('resync')).find((e) => e.outcome === 'fullresync');
    expect(full, `the replica cut mid-RDB full-syncs:\n${lab.events.filter((e) => e.link === rdb.link && e.type !== 'command').map((e) => JSON.stringify(e).slice(0, 200)).join('\n')}\n${lab.events.slice(from).filter((e) => e.type === 'failover').map((e) => `${e.step}: ${e.detail}`).join('\n')}`).toBeDefined();
    expect((await lab.liveStatus()).master).toBeDefined(); // the lab and its proxies keep running
  });

  it('a failover that does not complete in time is told with what is missing; the lab keeps running', async () => {
    run = await LabRun.start(['--sentinels', '3', '--replicas', '1', '--keys', '100', '--rate', '0', '--failover-deadline', '3s']);
    const lab = run;
    const status = await sentinelsReady(lab);
    for (const s of status.sentinels) process.kill(s.pid, 'SIGSTOP'); // no Sentinel to act: the failover cannot happen
    try {
      const from = lab.events.length;
      expect(await lab.fault({ failover: 'kill' })).toMatchObject({ ok: true });
      const timeout = await lab.waitEvent(step('timeout'), 20_000, 'the failover told stuck', from);
      expect(timeout.detail).toMatch(/the failover did not complete within 3 s \(no new master yet; not streaming: replica-1\)/);
      expect((await lab.liveStatus()).master).toBeDefined();
    } finally {
      for (const s of status.sentinels) process.kill(s.pid, 'SIGCONT');
    }
  });
});

describe.skipIf(!ready)('repl-spy lab --sentinels: a missing or broken redis-sentinel', () => {
  it('a binary that is not there: said before any server starts', async () => {
    const r = await LabRun.start(['--sentinels', '3', '--redis-sentinel', '/nonexistent/redis-sentinel']).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(r).toMatch(/--redis-sentinel \/nonexistent\/redis-sentinel is not an executable file/);
  });

  it('a binary that cannot start: said, and every server the lab started is stopped, its directory removed', async () => {
    run = await LabRun.start(['--sentinels', '3', '--replicas', '1', '--keys', '10', '--rate', '0', '--redis-sentinel', '/bin/false']);
    const lab = run;
    const exit = await lab.ended();
    expect(exit.code).toBe(1);
    expect(lab.stderr).toMatch(/sentinel-1: false did not start \(exited with 1\)/);
    for (const s of [lab.status.master, ...lab.status.replicas]) expect(isAlive(s.pid), s.name).toBe(false);
    expect(existsSync(lab.status.dir)).toBe(false);
  });
});
