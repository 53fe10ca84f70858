import { describe, expect, it } from 'vitest';
import { eventFilter } from '../../../src/replay/event-filter.js';
import { globToRegExp } from '../../../src/core/glob.js';
import type { ReplEvent } from '../../../src/core/events.js';

const command = (link: number, db: number | null, ...argv: string[]): ReplEvent => ({
  type: 'command', at: 0, link, offset: 0, db, argv: argv.map((a) => Buffer.from(a)), bytes: 0, pos: 0, end: 0,
});
const ack: ReplEvent = { type: 'ack', pos: 0, end: 0, at: 0, link: 2, offset: 0, lagBytes: 0, lagMs: 0 };
const pair: ReplEvent = { type: 'link-pair', at: 0, link: 1, mainLink: 1, rdbLink: 2, flavor: 'valkey-dual-channel' };

describe('replay filters', () => {
  it('globs as Redis writes them', () => {
    expect(globToRegExp('user:*').test('user:42')).toBe(true);
    expect(globToRegExp('user:*').test('order:1')).toBe(false);
    expect(globToRegExp('k?').test('k1')).toBe(true);
    expect(globToRegExp('k?').test('k12')).toBe(false);
    expect(globToRegExp('k[ab]').test('kb')).toBe(true);
    expect(globToRegExp('k[^ab]').test('ka')).toBe(false);
    expect(globToRegExp('a.b\\*').test('a.b*')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('--link keeps its events and the cross-link events naming it', () => {
    const keep = eventFilter({ link: 2 });
    expect([command(1, 0, 'SET', 'k', 'v'), ack, pair].map(keep)).toEqual([false, true, true]);
  });

  it('command name, key and db select commands; other events stay', () => {
    const keep = eventFilter({ command: 'set', key: 'user:*', db: 3 });
    expect(keep(command(1, 3, 'SET', 'user:1', 'v'))).toBe(true);
    expect(keep(command(1, 0, 'SET', 'user:1', 'v'))).toBe(false);
    expect(keep(command(1, 3, 'SET', 'order:1', 'v'))).toBe(false);
    expect(keep(command(1, 3, 'DEL', 'user:1'))).toBe(false);
    expect(keep(command(1, 3, 'PING'))).toBe(false);
    expect(keep(ack)).toBe(true);
  });

  it('--slot keeps the commands whose keys hash to the slot range; commands without keys or across slots go', () => {
    const keep = eventFilter({ slot: { from: 11058, to: 11058 } });
    const withSlot = (slot: number | undefined, ...argv: string[]): ReplEvent => ({ ...(command(1, 0, ...argv) as object), ...(slot === undefined ? {} : { slot }) }) as ReplEvent;
    expect(keep(withSlot(11058, 'SET', 'somekey', 'v'))).toBe(true);
    expect(keep(withSlot(2515, 'SET', '{hash_tag}', 'v'))).toBe(false);
    expect(keep(withSlot(undefined, 'PING'))).toBe(false);
    expect(keep(ack)).toBe(true);
  });
});
