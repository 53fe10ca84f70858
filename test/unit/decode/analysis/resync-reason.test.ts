import { describe, expect, it } from 'vitest';
import { parseReplicationInfo, type MasterReplInfo } from '../../../../src/decode/analysis/master-info.js';
import { backlogWindow, explainContinue, explainFullResync } from '../../../../src/decode/analysis/resync-reason.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const ZERO = '0'.repeat(40);

function info(over: Partial<MasterReplInfo> = {}): MasterReplInfo {
  return {
    at: 0, role: 'master', replid: A, replid2: ZERO, offset: 5000, secondOffset: -1,
    backlogActive: true, backlogSize: 1000, backlogFirstByte: 4001, backlogHistlen: 1000, ...over,
  };
}

describe('parseReplicationInfo', () => {
  it('reads the fields of INFO replication', () => {
    const text = [
      '# Replication', 'role:master', 'connected_slaves:0', `master_replid:${A}`, `master_replid2:${B}`,
      'master_repl_offset:5000', 'second_repl_offset:3001', 'repl_backlog_active:1', 'repl_backlog_size:1000',
      'repl_backlog_first_byte_offset:4001', 'repl_backlog_histlen:1000', '',
    ].join('\r\n');
    expect(parseReplicationInfo(text, 7)).toEqual(info({ at: 7, replid2: B, secondOffset: 3001 }));
  });
  it('gives null when a field is missing or not a number', () => {
    expect(parseReplicationInfo('role:master\r\n', 0)).toBeNull();
    expect(parseReplicationInfo(`role:master\r\nmaster_replid:${A}\r\nmaster_replid2:${B}\r\nmaster_repl_offset:x`, 0)).toBeNull();
  });
});

describe('backlogWindow', () => {
  it('is the INFO window when the master has not moved', () => {
    expect(backlogWindow(info(), 5000)).toEqual({ first: 4001, last: 5000, size: 1000 });
  });
  it('slides forward by what the master wrote since the INFO', () => {
    expect(backlogWindow(info(), 5300)).toEqual({ first: 4301, last: 5300, size: 1000 });
    expect(backlogWindow(info({ backlogFirstByte: 1, backlogHistlen: 5000, backlogSize: 8000, offset: 5000 }), 6000)).toEqual({ first: 1, last: 6000, size: 8000 });
  });
  it('is null without a backlog', () => {
    expect(backlogWindow(info({ backlogActive: false }), 5000)).toBeNull();
  });
});

describe('explainFullResync', () => {
  it('PSYNC ? -1 is a first sync, or a full sync the replica asked for when it synced before', () => {
    expect(explainFullResync({ replid: '?', offset: -1 }, { replid: A, offset: 0 }, null, false).code).toBe('first-sync');
    expect(explainFullResync({ replid: '?', offset: -1 }, { replid: A, offset: 0 }, null, true).code).toBe('full-sync-requested');
  });
  it('an asked replid the master does not have is unknown to it', () => {
    const why = explainFullResync({ replid: C, offset: 10 }, { replid: A, offset: 5000 }, info({ replid2: B }), false);
    expect(why.code).toBe('replid-unknown');
    expect(why.text).toBe('replid unknown to the master: the replica asked for cccccccc…, the master\'s history is aaaaaaaa… and bbbbbbbb…');
    expect(explainFullResync({ replid: C, offset: 10 }, { replid: A, offset: 5000 }, null, false).code).toBe('replid-unknown');
    const own = explainFullResync({ replid: C, offset: 10 }, { replid: A, offset: 5000 }, null, false, info({ replid: C }));
    expect(own.code).toBe('replid-unknown');
    expect(own.text).toMatch(/^first sync with this master: the replica asked with its own history/);
  });
  it('the same replid with an offset the backlog no longer holds is outside the backlog, with the window', () => {
    const why = explainFullResync({ replid: A, offset: 3000 }, { replid: A, offset: 5000 }, info(), false);
    expect(why).toEqual({
      code: 'outside-backlog',
      text: 'offset outside the backlog: the replica asked for 3000, the backlog holds 4001..5000 (repl-backlog-size 1000), 1001 bytes before its start',
    });
  });
  it('without INFO, the same replid refused is still outside the backlog, told with the master offset', () => {
    expect(explainFullResync({ replid: A, offset: 3000 }, { replid: A, offset: 5000 }, null, false).text).toBe(
      'offset outside the backlog: the replica asked for 3000, the master is at 5000',
    );
  });
  it('an offset ahead of the master is outside the backlog too', () => {
    expect(explainFullResync({ replid: A, offset: 6000 }, { replid: A, offset: 5000 }, info(), false).text).toMatch(/999 bytes past the master's offset$/);
  });
  it('an INFO older than the answer does not make a stale window: the window slides to the answer offset', () => {
    // INFO said 4001..5000; the master is at 5600 when it answers, so 4500 has left the backlog
    expect(explainFullResync({ replid: A, offset: 4500 }, { replid: A, offset: 5600 }, info(), false).code).toBe('outside-backlog');
  });
  it('a refusal although replid and offset were fine is a forced full sync', () => {
    expect(explainFullResync({ replid: A, offset: 4500 }, { replid: A, offset: 5000 }, info(), false).code).toBe('forced-full-sync');
  });
  it('the previous replid past second_repl_offset is past the failover point; within it, the backlog decides', () => {
    const promoted = info({ replid2: B, secondOffset: 4801 });
    expect(explainFullResync({ replid: B, offset: 4900 }, { replid: A, offset: 5000 }, promoted, false).code).toBe('past-failover-point');
    expect(explainFullResync({ replid: B, offset: 3000 }, { replid: A, offset: 5000 }, promoted, false).code).toBe('outside-backlog');
  });
  it('an INFO of another history is ignored', () => {
    expect(explainFullResync({ replid: A, offset: 4500 }, { replid: C, offset: 0 }, info(), false).code).toBe('replid-unknown');
  });
});

describe('explainContinue', () => {
  it('the same replid is a partial resync within the backlog, with the bytes to send', () => {
    expect(explainContinue({ replid: A, offset: 4901 }, { replid: A }, info())).toEqual({
      code: 'within-backlog',
      text: 'partial resync within the backlog from offset 4901 (backlog 4001..5000, 100 bytes to send)',
    });
    expect(explainContinue({ replid: A, offset: 4901 }, { replid: null }, null).text).toBe('partial resync within the backlog from offset 4901');
  });
  it('+CONTINUE <new replid> is a failover', () => {
    const promoted = info({ replid: C, replid2: A, secondOffset: 4801 });
    expect(explainContinue({ replid: A, offset: 4801 }, { replid: C }, promoted)).toEqual({
      code: 'failover-new-replid',
      text: "new replid after a failover: the master continues the replica's history aaaaaaaa… (kept as replid2 up to offset 4801) as cccccccc…",
    });
    expect(explainContinue({ replid: A, offset: 4801 }, { replid: C }, null).code).toBe('failover-new-replid');
  });
});
