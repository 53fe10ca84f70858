// Whether tail may ask a master for PSYNC: only when its INFO replication says the master will continue (asking
// for anything else makes it fork a BGSAVE).
import { describe, expect, it } from 'vitest';
import { parseReplicationInfo, type MasterReplInfo } from '../../../src/decode/analysis/master-info.js';
import { isNoop, parseFrom, planPsync, rewindPastNoops } from '../../../src/tail/psync-plan.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

function info(fields: Partial<Record<string, string | number>>): MasterReplInfo {
  const all = {
    role: 'master', master_replid: A, master_replid2: ZERO, master_repl_offset: 1000, second_repl_offset: -1,
    repl_backlog_active: 1, repl_backlog_size: 1048576, repl_backlog_first_byte_offset: 1, repl_backlog_histlen: 1000, ...fields,
  };
  return parseReplicationInfo(Object.entries(all).map(([k, v]) => `${k}:${v}`).join('\r\n'), 0)!;
}

describe('planPsync', () => {
  it('continues at offset+1 of the replid anywhere from the backlog start to the master offset', () => {
    const m = info({ repl_backlog_first_byte_offset: 500, repl_backlog_histlen: 501 });
    expect(planPsync({ replid: A, offset: 1000, db: null }, m)).toEqual({ continues: true, replid: A, offset: 1001 });
    expect(planPsync({ replid: A, offset: 499, db: 3 }, m)).toEqual({ continues: true, replid: A, offset: 500 });
  });

  it('refuses an offset before the backlog or past the master, saying where the backlog is', () => {
    const m = info({ repl_backlog_first_byte_offset: 500, repl_backlog_histlen: 501 });
    const before = planPsync({ replid: A, offset: 498, db: null }, m);
    expect(before).toMatchObject({ continues: false, code: 'outside-backlog' });
    expect(before.continues === false && before.text).toMatch(/holds 500\.\.1000/);
    expect(planPsync({ replid: A, offset: 1001, db: null }, m)).toMatchObject({ continues: false, code: 'outside-backlog' });
  });

  it('continues the previous history (replid2) up to second_repl_offset, not past it', () => {
    const m = info({ master_replid: B, master_replid2: A, second_repl_offset: 801 });
    expect(planPsync({ replid: A, offset: 800, db: null }, m)).toEqual({ continues: true, replid: A, offset: 801 });
    expect(planPsync({ replid: A, offset: 801, db: null }, m)).toMatchObject({ continues: false, code: 'past-failover-point' });
  });

  it('says the master has no backlog, and how one comes to be', () => {
    const plan = planPsync({ replid: A, offset: 1000, db: null }, info({ repl_backlog_active: 0, repl_backlog_histlen: 0 }));
    expect(plan).toMatchObject({ continues: false, code: 'no-backlog' });
    expect(plan.continues === false && plan.text).toMatch(/no replication backlog.*--allow-full-sync/);
  });

  it('a history the master does not know (a restart from its AOF): replid unknown, and maybe a restart', () => {
    const plan = planPsync({ replid: A, offset: 1000, db: null }, info({ master_replid: B, master_repl_offset: 0, repl_backlog_active: 0 }));
    expect(plan).toMatchObject({ continues: false, code: 'replid-unknown' });
    expect(plan.continues === false && plan.text).toMatch(/did it restart/);
  });
});

describe('parseFrom', () => {
  it('takes REPLID:OFFSET, case-insensitive hex', () => {
    expect(parseFrom(`${A.toUpperCase()}:42`)).toEqual({ replid: A, offset: 42 });
  });
  it.each(['', 'abc:1', `${A}`, `${A}:`, `${A}:-1`, `${A}:1.5`, `${A}x:1`])('refuses %j', (text) => {
    expect(parseFrom(text)).toBeNull();
  });
});

describe('rewindPastNoops', () => {
  const failedOver = info({ master_replid: B, master_replid2: A, second_repl_offset: 101, master_repl_offset: 500 });
  const seen = [
    { offset: 100, bytes: 30, db: 2, noop: false },
    { offset: 114, bytes: 14, db: 2, noop: true },
    { offset: 151, bytes: 37, db: 2, noop: true },
  ];
  it('goes back to the end of the promoted history when only pings and GETACKs came after it', () => {
    expect(rewindPastNoops({ replid: A, offset: 151, db: 2 }, failedOver, seen)).toEqual({ replid: A, offset: 100, db: 2 });
  });
  it('not when data came after it, nor when that point is inside a command, nor for another history', () => {
    expect(rewindPastNoops({ replid: A, offset: 151, db: 2 }, failedOver, [seen[0]!, { ...seen[1]!, noop: false }, seen[2]!])).toBeNull();
    expect(rewindPastNoops({ replid: A, offset: 151, db: 2 }, info({ master_replid: B, master_replid2: A, second_repl_offset: 105 }), seen)).toBeNull();
    expect(rewindPastNoops({ replid: B, offset: 151, db: 2 }, failedOver, seen)).toBeNull();
    expect(rewindPastNoops({ replid: A, offset: 100, db: 2 }, failedOver, seen)).toBeNull();
  });
});

describe('isNoop', () => {
  const argv = (...words: string[]) => words.map((w) => Buffer.from(w));
  it("a master's PING, REPLCONF GETACK and Sentinel's hello change no data", () => {
    expect(isNoop(argv('PING'))).toBe(true);
    expect(isNoop(argv('REPLCONF', 'GETACK', '*'))).toBe(true);
    expect(isNoop(argv('publish', '__sentinel__:hello', '127.0.0.1,26379,abc,0,tailed,127.0.0.1,6379,0'))).toBe(true);
  });
  it('any other command, and a PUBLISH to another channel, may matter', () => {
    expect(isNoop(argv('SET', 'k', 'v'))).toBe(false);
    expect(isNoop(argv('PUBLISH', 'news', 'hello'))).toBe(false);
    expect(isNoop(argv('REPLCONF', 'ACK', '1'))).toBe(false);
  });
});
