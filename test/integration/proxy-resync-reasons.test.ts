// Resync reasons through the plain proxy (the built CLI, not the lab), with and without --master-info, live and
// replayed from the capture. Each scenario makes a real master answer a PSYNC in a known way, and the master's own
// log line for it must agree with the reason code repl-spy gave: the log says what Redis decided and why.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { runCli, startCliProxy, type CliRun } from '../helpers/cli.js';
import { redisPool, requireRedis, waitFor, waitForLinkUp } from '../helpers/redis.js';
import type { JsonEvent } from '../helpers/spy.js';

const hasRedis = requireRedis();
const PASSWORD = 'reasons-Pw-81c2';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-reasons-'));
const pool = redisPool();

afterAll(async () => {
  await pool.stopAll();
  rmSync(tmp, { recursive: true, force: true });
});


/** The master's decision for each PSYNC of `replicaPort`, in its own words, as the reason code it means. */
function masterDecisions(log: string, replicaPort: number): string[] {
  const codes: string[] = [];
  for (const line of log.split('\n')) {
    if (line.includes(`Full resync requested by replica 127.0.0.1:${replicaPort}`)) codes.push('first-sync');
    else if (line.includes(`Partial resynchronization request from 127.0.0.1:${replicaPort} accepted`)) codes.push('partial');
    else if (line.includes(`Unable to partial resync with replica 127.0.0.1:${replicaPort} for lack of backlog`)) codes.push('outside-backlog');
    else if (line.includes('Partial resynchronization not accepted: Replication ID mismatch')) codes.push('replid-unknown');
  }
  return codes;
}

/** What repl-spy said of each PSYNC answer; a partial resync of either kind is what the master's log calls partial. */
function reasons(events: JsonEvent[]): { type: string; reasonCode: string; reason: string }[] {
  return events.filter((e) => e.type === 'fullresync' || e.type === 'continue').map(({ type, reasonCode, reason }) => ({ type, reasonCode, reason }));
}
const asLogged = (code: string): string => (code === 'within-backlog' || code === 'failover-new-replid' ? 'partial' : code);

/** The capture replayed by the CLI: its `--json` events. */
async function replayed(file: string): Promise<JsonEvent[]> {
  const run = runCli(['replay', file, '--json']);
  expect(await run.exited).toEqual({ code: 0, signal: null });
  return run.events();
}

async function stopCli(run: CliRun): Promise<void> {
  expect(await run.stop()).toEqual({ code: 0, signal: null });
}

describe.skipIf(!hasRedis).each([
  { mode: 'with --master-info (credentials from REDISCLI_AUTH)', flags: ['--master-info'] },
  { mode: 'from the wire alone', flags: [] },
])('resync reasons through the plain proxy, $mode', ({ flags }) => {
  const withInfo = flags.length > 0;

  it('first sync, partial within the backlog, outside the backlog, replid unknown: as the master logged them, live and replayed', async () => {
    const master = await pool.start({ password: PASSWORD, args: ['--repl-backlog-size', '16kb'] });
    const file = path.join(tmp, `master-${withInfo ? 'info' : 'wire'}.rspy`);
    const run = await startCliProxy(master.port, ['--json', '--capture', file, ...flags], { env: { REDISCLI_AUTH: PASSWORD } });
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(run.port), '--masterauth', PASSWORD] });
    const answers = () => reasons(run.events()).length;
    const step = async (n: number, what: string): Promise<void> => {
      await waitFor(() => answers() === n, 20_000, what);
      await waitForLinkUp(replica);
    };
    try {
      await step(1, 'the first sync');
      await master.cmd('SET', 'k', 'v');
      await new Promise((r) => setTimeout(r, 500)); // the side connection reads the history the replica follows
      expect(await master.cmd('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
      await step(2, 'a partial resync after the link was killed');

      // Away while the master writes four times its backlog: the offset it asks for is gone.
      replica.pause();
      expect(await master.cmd('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
      for (let i = 0; i < 64; i++) await master.cmd('SET', `big:${i}`, 'x'.repeat(1024));
      replica.resume();
      await step(3, 'a full resync for lack of backlog');

      // Promoted and re-pointed: it asks with a history of its own, which the master never had.
      await replica.cmd('REPLICAOF', 'NO', 'ONE');
      await replica.cmd('REPLICAOF', '127.0.0.1', run.port);
      await step(4, 'a full resync for a replid the master does not know');
    } finally {
      await stopCli(run);
    }

    const live = reasons(run.events());
    expect(live.map((r) => r.reasonCode)).toEqual(['first-sync', 'within-backlog', 'outside-backlog', 'replid-unknown']);
    expect(live.map((r) => asLogged(r.reasonCode))).toEqual(masterDecisions(master.logTail(200), replica.port));
    const [, partial, outside] = live;
    if (withInfo) {
      expect(partial!.reason).toMatch(/^partial resync within the backlog from offset \d+ \(backlog \d+\.\.\d+, 0 bytes to send\)$/);
      expect(outside!.reason).toMatch(/^offset outside the backlog: the replica asked for \d+, the backlog holds \d+\.\.\d+ \(repl-backlog-size 16384\), \d+ bytes before its start$/);
      const capture = await openCapture(file);
      const kinds = new Set<string>();
      for await (const e of capture.events()) kinds.add(e.kind);
      expect([...kinds]).toEqual(expect.arrayContaining(['server-info', 'tick']));
    } else {
      expect(partial!.reason).toMatch(/^partial resync within the backlog from offset \d+$/);
      expect(outside!.reason).toMatch(/^offset outside the backlog: the replica asked for \d+, the master is at \d+$/);
    }
    expect(run.stderr()).not.toMatch(/--master-info: /);

    // The replay of the capture says the same, word for word, and prints every other event as live did (but for
    // where the bytes the replica sent sit: the capture keeps its AUTH password as `***`, not even its length).
    const again = await replayed(file);
    expect(reasons(again)).toEqual(live);
    const fromReplica = (e: JsonEvent) => ['replica-command', 'psync', 'ack'].includes(e.type) || e.from === 'replica';
    const withoutReplicaPos = (events: JsonEvent[]) => events.map(({ pos, end, ...e }) => (fromReplica(e) ? e : { ...e, pos, end }));
    expect(withoutReplicaPos(again)).toEqual(withoutReplicaPos(run.events()));
  });

  it('a failover: the promoted replica continues the history under its new replid, as it logged', async () => {
    const top = await pool.start({});
    const promoted = await pool.start({ password: PASSWORD, args: ['--replicaof', '127.0.0.1', String(top.port)] });
    await waitForLinkUp(promoted);
    const file = path.join(tmp, `failover-${withInfo ? 'info' : 'wire'}.rspy`);
    const run = await startCliProxy(promoted.port, ['--json', '--capture', file, ...flags], { env: { REDISCLI_AUTH: PASSWORD } });
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(run.port), '--masterauth', PASSWORD] });
    try {
      await waitFor(() => reasons(run.events()).length === 1, 20_000, 'the first sync');
      await waitForLinkUp(replica);
      await new Promise((r) => setTimeout(r, 500));
      await promoted.cmd('REPLICAOF', 'NO', 'ONE');
      await waitFor(() => reasons(run.events()).length === 2, 20_000, 'the +CONTINUE after the failover');
    } finally {
      await stopCli(run);
    }
    const live = reasons(run.events());
    expect(live.map((r) => r.reasonCode)).toEqual(['first-sync', 'failover-new-replid']);
    expect(live.map((r) => asLogged(r.reasonCode))).toEqual(masterDecisions(promoted.logTail(200), replica.port));
    // (with the INFO read after the promotion, also how far the old history goes; the PSYNC may come first)
    expect(live[1]!.reason).toMatch(/^new replid after a failover: the master continues the replica's history \w+…( \(kept as replid2 up to offset \d+\))? as \w+…$/);
    expect(reasons(await replayed(file))).toEqual(live);
  });
});

describe.skipIf(!hasRedis)('--master-info takes no credentials from the wire', () => {
  it("a master with a password and none given: a clear message, the replica's AUTH is not used, reasons from the wire", async () => {
    const master = await pool.start({ password: PASSWORD });
    const run = await startCliProxy(master.port, ['--json', '--no-capture', '--master-info'], { env: { REDISCLI_AUTH: '' } });
    const replica = await pool.start({ args: ['--replicaof', '127.0.0.1', String(run.port), '--masterauth', PASSWORD] });
    try {
      await waitForLinkUp(replica);
      await waitFor(() => /--master-info: /.test(run.stderr()), 10_000, 'the side connection to say why it cannot read INFO');
    } finally {
      await stopCli(run);
    }
    expect(run.stderr()).toMatch(/--master-info: 127\.0\.0\.1:\d+: INFO replication refused \(NOAUTH[^)]*\): the master needs a password: --master-password or REDISCLI_AUTH/);
    expect(reasons(run.events()).map((r) => r.reasonCode)).toEqual(['first-sync']);
    expect(run.stderr()).not.toContain(PASSWORD);
  });
});
