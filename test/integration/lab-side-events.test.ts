// Side events in the capture: the lab's Sentinel failover story and the cluster lab's topology are recorded as
// `side-event` records, and replay (and export) of the capture tells them again, at their recorded times, with
// the same content as the live run printed. Real servers: redis-server, redis-sentinel.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { requireRedis, requireSentinel, waitFor } from '../helpers/redis.js';
import { LabRun, spawnLab, until, type LabEvent } from './lab-harness.js';

const hasRedis = requireRedis();
const hasSentinel = hasRedis && requireSentinel();
const tmp = mkdtempSync(path.join(tmpdir(), 'repl-spy-side-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let run: LabRun | null = null;
let cluster: ReturnType<typeof spawnLab> | null = null;
afterEach(async () => {
  await run?.stop('SIGINT');
  run = null;
  cluster?.proc.kill('SIGINT');
  await cluster?.exit;
  cluster = null;
});

async function replayJson(file: string, command: 'replay' | 'export' = 'replay'): Promise<LabEvent[]> {
  const r = runCli(command === 'replay' ? ['replay', file, '--json'] : ['export', file, '--format', 'jsonl']);
  const end = await r.exited;
  expect(end.code, r.stderr()).toBe(0);
  return r.events() as unknown as LabEvent[];
}

const ofType = (events: LabEvent[], type: string) => events.filter((e) => e.type === type);

describe.skipIf(!hasSentinel)('the Sentinel lab: the failover story is in the capture', () => {
  it('replay and export of the capture tell the story the live run told, step by step at the same times', async () => {
    const capture = path.join(tmp, 'sentinel.rspy');
    run = await LabRun.start(['--capture', capture, '--sentinels', '3', '--replicas', '2', '--keys', '100', '--rate', '0']);
    const lab = run;
    await waitFor(async () => !!((await lab.liveStatus()) as unknown as { sentinels: { ready: boolean } }).sentinels?.ready, 40_000, 'the Sentinels ready');
    expect(await lab.fault({ failover: 'sentinel' })).toMatchObject({ ok: true });
    await lab.waitEvent((e) => e.type === 'failover' && e.step === 'streaming', 60_000, 'every replica streaming again');
    expect((await lab.stop('SIGINT')).code).toBe(0);
    run = null;
    const live = ofType(lab.events, 'failover');
    expect(live.map((e) => e.step)).toEqual(expect.arrayContaining(['started', 'promoted', 'psync', 'resync', 'streaming']));
    const replayed = ofType(await replayJson(capture), 'failover');
    expect(replayed).toEqual(live);
    expect(ofType(await replayJson(capture, 'export'), 'failover')).toEqual(live);
  }, 150_000);
});

describe.skipIf(!hasRedis)('the cluster lab: the topology is an event, and in the capture', () => {
  it('cluster-topology: three shards over all 16384 slots, masters and replicas named by proxy and lab name; replay shows the same', async () => {
    const capture = path.join(tmp, 'cluster.rspy');
    const lab = spawnLab(['--capture', capture, '--cluster', '3', '--cluster-replicas', '1', '--rate', '0']);
    cluster = lab;
    const formed = (e: LabEvent) =>
      e.type === 'cluster-topology' &&
      (e.shards as { replicas: { health: string }[] }[]).length === 3 &&
      (e.shards as { replicas: { health: string }[] }[]).every((s) => s.replicas.length === 1 && s.replicas[0]!.health === 'online');
    const last = await until(() => lab.out.events.find(formed), 60_000, () => `a topology of three shards, each replica online\n${lab.out.stderr}`);
    const shards = last.shards as { slots: [number, number][]; master: { name: string; address: string }; replicas: { name: string; address: string }[] }[];
    expect(shards.map((s) => s.slots)).toEqual([[[0, 5460]], [[5461, 10921]], [[10922, 16383]]]);
    expect(shards.map((s) => [s.master.name, s.replicas.map((r) => r.name)])).toEqual([
      ['master-1', ['replica-1-1']],
      ['master-2', ['replica-2-1']],
      ['master-3', ['replica-3-1']],
    ]);
    // named by the proxies: the address of each is the proxy the lab printed for that node
    for (const s of shards) for (const n of [s.master, ...s.replicas]) expect(lab.out.stderr).toMatch(new RegExp(`${n.name}\\s+\\S+\\s+proxy ${n.address.replace(/\./g, '\\.')}\\s`));
    lab.proc.kill('SIGINT');
    expect((await lab.exit).code).toBe(0);
    cluster = null;
    const live = ofType(lab.out.events, 'cluster-topology');
    expect(live[0]!.change).toBe('first sight');
    expect(ofType(await replayJson(capture), 'cluster-topology')).toEqual(live);
  }, 120_000);
});
