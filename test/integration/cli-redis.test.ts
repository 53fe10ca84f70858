// The built CLI in front of a real master with requirepass: `--json` and `--no-tui` output agree with INFO, and
// the AUTH password appears nowhere: not on stdout, not on stderr (even with --debug), not in the capture file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { startCliProxy, type CliRun } from '../helpers/cli.js';

const hasRedis = requireRedis();
const PASSWORD = 'cli-Secret-0d4f2a';

describe.skipIf(!hasRedis)('repl-spy CLI with a real master and replica', () => {
  let master: RedisServer;
  const replicas: RedisServer[] = [];
  let json: CliRun & { port: number };
  let text: CliRun & { port: number };
  let tmp: string;
  let capture: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-cli-'));
    capture = path.join(tmp, 'session.rspy');
    master = await startRedis({ password: PASSWORD });
    await master.cmd('DEBUG', 'POPULATE', 500, 'snap', 16);
    json = await startCliProxy(master.port, ['--json', '--capture', capture]);
    text = await startCliProxy(master.port, ['--no-tui', '--no-capture', '--debug', '--no-rdb-checksum']);
    replicas.push(await startReplicaThrough(json.port, { masterauth: PASSWORD }));
    replicas.push(await startReplicaThrough(text.port, { masterauth: PASSWORD }));
    for (const replica of replicas) await waitForLinkUp(replica);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await json?.stop();
    await text?.stop();
    await master?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('--json: the last command offset is master_repl_offset, the last ACK the replica offset', async () => {
    await master.cmd('SET', 'k', 'v');
    await master.cmd('SELECT', 3);
    await master.cmd('LPUSH', 'list', 'a', 'b');
    const { master_replid, master_repl_offset } = await master.info('replication');
    const masterOffset = Number(master_repl_offset);
    const lastOf = (type: string) => json.events().filter((e) => e.type === type).at(-1);
    await waitFor(
      async () =>
        Number((await replicas[0]!.info('replication')).slave_repl_offset) === masterOffset &&
        lastOf('command')?.offset === masterOffset &&
        lastOf('ack')?.offset === masterOffset,
      20_000,
      'the JSON output to reach the master offset',
    );
    const events = json.events();
    expect(events[0]).toMatchObject({ type: 'link-open', link: 1 });
    for (const e of events) expect(e).toEqual(expect.objectContaining({ type: expect.any(String), at: expect.any(Number), link: 1 }));
    expect(events.find((e) => e.type === 'fullresync')).toMatchObject({ replid: master_replid });
    expect(events.find((e) => e.type === 'replica-command' && e.argv[0] === 'AUTH')?.argv).toEqual(['AUTH', '***']);
    expect(events.filter((e) => e.type === 'command').at(-1)).toMatchObject({ db: 3, argv: ['LPUSH', 'list', 'a', 'b'] });
    expect(lastOf('ack')).toMatchObject({ lagBytes: 0 });
    const summary = events.find((e) => e.type === 'rdb-info' && e.phase === 'summary');
    expect(summary?.info).toMatchObject({ complete: true, checksum: 'verified', keys: 500 });
  });

  it('--no-rdb-checksum: the snapshot is analysed, its CRC-64 not verified', () => {
    const summary = text.stdout().split('\n').find((l) => l.includes(' summary {'));
    expect(summary).toBeDefined();
    expect(JSON.parse(summary!.slice(summary!.indexOf('{')))).toMatchObject({ complete: true, checksum: 'not-verified', keys: 500 });
  });

  it('--no-tui: one readable line per event, AUTH masked, offsets as INFO says', async () => {
    const masterOffset = Number((await master.info('replication')).master_repl_offset);
    await waitFor(
      () => new RegExp(`#1 command offset=${masterOffset} db=3 LPUSH list a b\\n`).test(text.stdout()),
      20_000,
      'the text output to reach the master offset',
    );
    expect(text.stdout()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} #1 link-open replica=127\.0\.0\.1:\d+ master=127\.0\.0\.1:\d+$/m);
    expect(text.stdout()).toMatch(/ #1 replica-command AUTH \*\*\*$/m);
    expect(text.stdout()).toMatch(/ #1 rdb-end \d+ bytes in \d+ms/);
  });

  it('the password appears in no output, log or capture', async () => {
    await json.stop();
    await text.stop();
    for (const run of [json, text]) {
      expect(run.stdout().length).toBeGreaterThan(1000);
      expect(run.stdout()).not.toContain(PASSWORD);
      expect(run.stderr()).not.toContain(PASSWORD);
    }
    expect(text.stderr()).toContain('"level"'); // --debug: pino logs went to stderr, and were checked too
    const bytes = readFileSync(capture);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(bytes.includes(Buffer.from(PASSWORD))).toBe(false);
  });
});
