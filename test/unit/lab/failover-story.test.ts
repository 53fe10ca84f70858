// The failover story generalised for the cluster lab: a failover whose old master keeps running and is waited for
// as a replica (CLUSTER FAILOVER), and a killed master with no other replica (the promotion is the recovery). Pure:
// events and times in, `failover` events out.
import { describe, expect, it } from 'vitest';
import type { FailoverEvent, ReplEvent } from '../../../src/core/events.js';
import { FailoverStory, type StoryServer } from '../../../src/lab/failover-story.js';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
// the cluster lab's shard: each node behind its proxy; replicas announce their own port (not the proxy's)
const SHARD: StoryServer[] = [
  { name: 'master-1', address: '127.0.0.1:7001', front: '127.0.0.1:8001' },
  { name: 'replica-1-1', address: '127.0.0.1:7002', front: '127.0.0.1:8002' },
];

function tell(): { story: FailoverStory; steps: FailoverEvent[] } {
  const steps: FailoverEvent[] = [];
  return { story: new FailoverStory(SHARD, (e) => steps.push(e)), steps };
}

const span = { pos: 0, end: 0 };
/** A replica announcing `port` dials `master` on link `link` and asks PSYNC. */
function replicaLink(link: number, at: number, master: string, port: number, replid: string, offset: number): ReplEvent[] {
  return [
    { type: 'link-open', link, at, replica: `127.0.0.1:${50000 + link}`, master },
    { type: 'replica-command', link, at: at + 1, argv: ['REPLCONF', 'listening-port', String(port)], ...span },
    { type: 'psync', link, at: at + 2, replid, offset, ...span },
  ];
}

describe('FailoverStory for the cluster lab', () => {
  it('CLUSTER FAILOVER: promoted in INFO, the old master back through the new one\'s proxy with +CONTINUE, streaming once it is', () => {
    const { story, steps } = tell();
    story.serverInfo('127.0.0.1:7002', 'role:slave\r\n', 900);
    story.startedBy('CLUSTER FAILOVER on replica-1-1', 1000, { masterRuns: true, waitForOldMaster: true });
    // the old master's links closing tell nothing: it is not dead
    story.observe({ type: 'link-open', link: 1, at: 100, replica: '127.0.0.1:50001', master: '127.0.0.1:7001' });
    story.observe({ type: 'link-close', link: 1, at: 1005, by: 'master', reason: 'closed' });
    story.serverInfo('127.0.0.1:7002', `role:master\r\nmaster_replid:${NEW}\r\nmaster_replid2:${OLD}\r\n`, 1010);
    for (const e of replicaLink(5, 1020, '127.0.0.1:7002', 7001, OLD, 100)) story.observe(e);
    expect(steps.map((s) => s.step)).toEqual(['started', 'promoted', 'old-master-back']); // not streaming yet: the old master is waited for
    story.observe({ type: 'continue', link: 5, at: 1030, replid: NEW, offset: 101, ...span });
    expect(steps.map((s) => s.step)).toEqual(['started', 'promoted', 'old-master-back', 'resync', 'streaming']);
    expect(steps[1]).toMatchObject({ server: '127.0.0.1:8002', replid: NEW });
    expect(steps[2]).toMatchObject({ server: '127.0.0.1:8002', replid: OLD, offset: 100 });
    expect(steps[2]!.detail).toBe(`master-1, the old master, back as a replica: PSYNC ${OLD} 100 to replica-1-1 through 127.0.0.1:8002`);
    expect(steps[4]).toMatchObject({ recoveryMs: 30, detail: 'every replica streams from replica-1-1 again: 30 ms after the failover began' });
    expect(story.currentMaster.name).toBe('replica-1-1');
  });

  it('a killed master with no other replica: the promotion is the recovery', () => {
    const { story, steps } = tell();
    story.serverInfo('127.0.0.1:7002', 'role:slave\r\n', 900);
    story.observe({ type: 'link-open', link: 1, at: 100, replica: '127.0.0.1:50001', master: '127.0.0.1:7001' });
    story.observe({ type: 'replica-command', link: 1, at: 101, argv: ['REPLCONF', 'listening-port', '7002'], ...span });
    story.startedBy('SIGKILL master-1', 1000, { masterRuns: false, waitForOldMaster: false });
    story.observe({ type: 'link-close', link: 1, at: 1001, by: 'master', reason: 'master closed the connection' });
    story.serverInfo('127.0.0.1:7002', `role:master\r\nmaster_replid:${NEW}\r\nmaster_replid2:${OLD}\r\n`, 4500);
    expect(steps.map((s) => s.step)).toEqual(['started', 'master-unreachable', 'promoted', 'streaming']);
    expect(steps[1]!.detail).toBe('master-1 is gone: replica-1-1 closed by the master (master closed the connection)');
    expect(steps[3]).toMatchObject({ recoveryMs: 3500, detail: "no replica to wait for: the shard is served from replica-1-1 again: 3500 ms after the master's death" });
  });

  it('the Sentinel lab\'s kill still waits for the other replicas, and not for the dead master', () => {
    const servers: StoryServer[] = [
      { name: 'master', address: '127.0.0.1:7001', front: '127.0.0.1:8001' },
      { name: 'replica-1', address: '127.0.0.1:7002', front: '127.0.0.1:8002' },
      { name: 'replica-2', address: '127.0.0.1:7003', front: '127.0.0.1:8003' },
    ];
    const steps: FailoverEvent[] = [];
    const story = new FailoverStory(servers, (e) => steps.push(e));
    story.started('kill', 1000);
    story.sentinel('127.0.0.1:26379', '+switch-master', 'lab 127.0.0.1 8001 127.0.0.1 8002', 2000);
    for (const e of replicaLink(7, 2100, '127.0.0.1:7002', 8003, OLD, 500)) story.observe(e); // announces its proxy
    expect(steps.at(-1)!.step).toBe('psync');
    story.observe({ type: 'continue', link: 7, at: 2200, replid: NEW, offset: 501, ...span });
    expect(steps.at(-1)).toMatchObject({ step: 'streaming', recoveryMs: 1200, detail: "every replica streams from replica-1 again: 1200 ms after the master's death" });
    expect(steps[0]!.detail).toBe('SIGKILL master (127.0.0.1:8001)');
  });
});
