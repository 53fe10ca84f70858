// `repl-spy tail` usage errors: exit 2 with a sentence that says what is wrong (no server needed).
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('repl-spy tail usage', () => {
  it.each([
    [[], /tail needs the master: HOST:PORT, or --follow sentinel:\/\/host:port\/name/],
    [['127.0.0.1:1', '--follow', 'sentinel://127.0.0.1:2/m'], /either as HOST:PORT or with --follow, not both/],
    [['127.0.0.1:1', '--from', 'abc:12'], /--from must be REPLID:OFFSET/],
    [['--follow', 'sentinel://:secret@127.0.0.1:26379'], /bad --follow "sentinel:\/\/:\*\*\*@127\.0\.0\.1:26379".*expected sentinel:\/\/host:port/],
    [['127.0.0.1:1', '--db', 'x'], /--db must be a whole number/],
    [['nohost'], /bad address "nohost"/],
  ])('tail %j exits 2', async (args, message) => {
    const run = runCli(['tail', ...args, '--no-capture']);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toMatch(message);
    expect(run.stderr()).not.toMatch(/secret/);
  });

  it('--help says what the master shows for it and how it stays out of the topology', async () => {
    const run = runCli(['tail', '--help']);
    expect((await run.exited).code).toBe(0);
    expect(run.stdout()).toMatch(/slaveN:ip=repl-spy-tail\.invalid,port=0,state=online,offset=<master_repl_offset - 1>,lag=0/);
    expect(run.stdout()).toMatch(/slave_priority/);
    expect(run.stdout()).toMatch(/min-replicas-to-write counts it/);
  });
});
