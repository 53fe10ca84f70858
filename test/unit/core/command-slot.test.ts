// The cluster slot of a command: its keys' CLUSTER KEYSLOT when they share one, on decoded command events under
// every chunking. The slot numbers are the ones Redis's CLUSTER KEYSLOT documentation gives (somekey, hash tags);
// the key positions are checked against a real server's COMMAND GETKEYS in the command-keys oracle test.
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { CROSS_SLOT, NO_SLOT, slotOf } from '../../../src/core/command-slot.js';
import { parseSlotRange } from '../../../src/core/slot-range.js';
import { decodeEveryChunking, resp, type Step } from '../../helpers/decode-case.js';

const argv = (...a: string[]) => a.map((s) => Buffer.from(s));

describe('the slot of a command', () => {
  it('one key, a hash tag, several keys of one slot', () => {
    expect(slotOf(argv('SET', 'somekey', 'v'))).toBe(11058);
    expect(slotOf(argv('set', 'foo{hash_tag}', 'v'))).toBe(2515);
    expect(slotOf(argv('MSET', 'foo{hash_tag}', '1', '{hash_tag}', '2', 'bar{hash_tag}', '3'))).toBe(2515);
    expect(slotOf(argv('ZUNIONSTORE', '{hash_tag}d', '2', '{hash_tag}a', '{hash_tag}b', 'WEIGHTS', '1', '2'))).toBe(2515);
    expect(slotOf(argv('EVAL', 'return 1', '1', 'somekey', 'not-a-key'))).toBe(11058);
  });

  it('keys of different slots are CROSSSLOT; no key, an unknown command, a numkeys beyond the arguments: none', () => {
    expect(slotOf(argv('MSET', 'somekey', '1', 'foo{hash_tag}', '2'))).toBe(CROSS_SLOT);
    expect(slotOf(argv('DEL', 'somekey', 'foo{hash_tag}'))).toBe(CROSS_SLOT);
    expect(slotOf(argv('PING'))).toBe(NO_SLOT);
    expect(slotOf(argv('SELECT', '0'))).toBe(NO_SLOT);
    expect(slotOf(argv('EVAL', 'return 1', '0', 'somekey'))).toBe(NO_SLOT);
    expect(slotOf(argv('EVAL', 'return 1', '3', 'somekey'))).toBe(NO_SLOT);
    expect(slotOf(argv('NOSUCHCOMMAND', 'somekey'))).toBe(NO_SLOT);
    expect(slotOf([])).toBe(NO_SLOT);
  });

  it('a key the decoder cut has no slot it can tell; a cut value does not matter', () => {
    expect(slotOf(argv('SET', 'some', 'v'), [3, 7, 1])).toBe(NO_SLOT);
    expect(slotOf(argv('SET', 'somekey', 'v'), [3, 7, 1000])).toBe(11058);
  });

  it('decoded command events carry slot or crossSlot, the same under every chunking', () => {
    const REPLID = '8b1e' + 'a'.repeat(36);
    const rdb = Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff]), Buffer.alloc(8)]);
    const stream =
      resp('SELECT', '0') +
      resp('SET', 'somekey', 'v') +
      resp('MSET', 'somekey', '1', '{hash_tag}', '2') +
      resp('MULTI') +
      resp('INCR', 'x{hash_tag}') +
      resp('EXEC') +
      resp('SET', 'k'.repeat(300), 'cut');
    const steps: Step[] = [
      { from: 'replica', bytes: resp('PSYNC', '?', '-1') },
      { from: 'master', bytes: `+FULLRESYNC ${REPLID} 0\r\n$${rdb.length}\r\n` },
      { from: 'master', bytes: Buffer.concat([rdb, Buffer.from(stream)]) },
    ];
    const events = decodeEveryChunking(steps, { keepArgBytes: 16 });
    const commands = events.filter((e): e is Extract<ReplEvent, { type: 'command' }> => e.type === 'command');
    expect(commands.map((e) => [e.argv[0]!.toString(), e.slot ?? null, e.crossSlot ?? false])).toEqual([
      ['SELECT', null, false],
      ['SET', 11058, false],
      ['MSET', null, true],
      ['MULTI', null, false],
      ['INCR', 2515, false],
      ['EXEC', null, false],
      ['SET', null, false],
    ]);
  });
});

describe('slot ranges as typed', () => {
  it('N and A-B, both ends included', () => {
    expect(parseSlotRange('0')).toEqual({ from: 0, to: 0 });
    expect(parseSlotRange('5461-10922')).toEqual({ from: 5461, to: 10922 });
    expect(parseSlotRange(' 16383 ')).toEqual({ from: 16383, to: 16383 });
  });

  it('a slot out of range, backwards, or not a number says what a slot is', () => {
    for (const bad of ['16384', '-1', '10-2', 'a', '1-', '1-2-3', '']) expect(parseSlotRange(bad), bad).toHaveProperty('error');
    expect(parseSlotRange('10-2')).toEqual({ error: 'a slot range goes up: 2-10, not "10-2"' });
  });
});
