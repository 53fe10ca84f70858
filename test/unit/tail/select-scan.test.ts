// The db of a master's stream at an offset, from the backlog bytes before it (they may start inside a command).
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../../src/net/resp-client.js';
import { lastSelectedDb } from '../../../src/tail/select-scan.js';

const stream = (...commands: (string | number)[][]): Buffer => Buffer.concat(commands.map((c) => encodeCommand(c)));

describe('lastSelectedDb', () => {
  it('the last SELECT before the end, whatever came before it (even half a command)', () => {
    const whole = stream(['SELECT', 3], ['SET', 'a', '1'], ['SELECT', 12], ['SET', 'b', '2'], ['ping']);
    expect(lastSelectedDb(whole)).toBe(12);
    for (let cut = 0; cut < 23; cut++) expect(lastSelectedDb(whole.subarray(cut))).toBe(12);
  });

  it('a SELECT inside a value is not one: the framing from it does not reach the end in whole commands', () => {
    const fake = encodeCommand(['SELECT', 9]).toString('latin1');
    expect(lastSelectedDb(stream(['SELECT', 4], ['SET', 'k', fake], ['SET', 'x', 'y']))).toBe(4);
  });

  it('null without a SELECT, or when the bytes end inside a command', () => {
    expect(lastSelectedDb(stream(['SET', 'a', '1'], ['ping']))).toBeNull();
    const open = stream(['SELECT', 2], ['SET', 'a', '1']);
    expect(lastSelectedDb(open.subarray(0, open.length - 3))).toBeNull();
  });
});
