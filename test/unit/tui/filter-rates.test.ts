import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { globToRegExp } from '../../../src/core/glob.js';
import { parseFilter } from '../../../src/tui/model/filter.js';
import { currentRate, rateHistory } from '../../../src/tui/model/rates.js';
import { apply, createTuiState } from '../../../src/tui/model/state.js';
import { createUi, handleKey, visibleCommands, type Key } from '../../../src/tui/model/ui.js';
import { cmd, sharedBgsave, T0 } from './scenario.js';

const ctx = { pageRows: 10, replay: false, faults: false };
function typeKeys(ui: ReturnType<typeof createUi>, s: ReturnType<typeof createTuiState>, text: string) {
  for (const c of text) handleKey(ui, c === ' ' ? 'space' : { char: c }, s, ctx);
}

describe('stream filter', () => {
  const s = createTuiState();
  for (const e of sharedBgsave()) apply(s, e);

  it('Redis glob patterns', () => {
    expect(globToRegExp('user:*').test('user:1')).toBe(true);
    expect(globToRegExp('user:*').test('xuser:1')).toBe(false);
    expect(globToRegExp('h?llo').test('hallo')).toBe(true);
    expect(globToRegExp('h[ae]llo').test('hillo')).toBe(false);
    expect(globToRegExp('h[^e]llo').test('hallo')).toBe(true);
    expect(globToRegExp('h[a-c]llo').test('hbllo')).toBe(true);
    expect(globToRegExp('a\\*b').test('a*b')).toBe(true);
    expect(globToRegExp('a\\*b').test('axb')).toBe(false);
    expect(globToRegExp('a.b(').test('a.b(')).toBe(true);
  });

  it('by command name, key pattern, db and link: all terms must match', () => {
    const show = (text: string) => {
      const ui = createUi();
      handleKey(ui, { char: '/' }, s, ctx);
      typeKeys(ui, s, text);
      handleKey(ui, 'enter', s, ctx);
      return visibleCommands(ui, s, 0, 100).map((e) => `#${e.link} ${e.name} ${e.key}`);
    };
    expect(show('set link:2')).toEqual(['#2 SET user:2', '#2 SET k1']);
    expect(show('key:user:* link:1')).toEqual(['#1 SET user:2', '#1 HSET user:1']);
    expect(show('db:3 link:3')).toEqual(['#3 LPUSH queue', '#3 SELECT 3']);
    expect(show('hset lpush link:1')).toEqual(['#1 LPUSH queue', '#1 HSET user:1']);
    expect(show('')).toHaveLength(21);
  });

  it('by cluster slot: slot:N and slot:A-B keep the commands whose keys hash there (CLUSTER KEYSLOT)', () => {
    const t = createTuiState();
    // CLUSTER KEYSLOT: somekey 11058, {hash_tag} 2515
    for (const e of [cmd(1, T0, 10, 0, 'SET', 'somekey', 'v'), cmd(1, T0, 20, 0, 'SET', 'a{hash_tag}', 'v'), cmd(1, T0, 30, 0, 'PING'), cmd(1, T0, 40, 0, 'MSET', 'somekey', '1', '{hash_tag}', '2')]) apply(t, e);
    const show = (text: string) => {
      const ui = createUi();
      handleKey(ui, { char: '/' }, t, ctx);
      typeKeys(ui, t, text);
      handleKey(ui, 'enter', t, ctx);
      return ui.message ?? visibleCommands(ui, t, 0, 100).map((e) => `${e.name} ${e.key}`);
    };
    expect(show('slot:11058')).toEqual(['SET somekey']);
    expect(show('slot:2515-11058')).toEqual(['SET a{hash_tag}', 'SET somekey']); // newest first
    expect(show('slot:0-2514')).toEqual([]);
    expect(show('set slot:0-16383')).toEqual(['SET a{hash_tag}', 'SET somekey']);
    expect(show('slot:16384')).toMatch(/slot: a slot is N or A-B with 0 <= N < 16384/);
  });

  it('rejects a bad filter with a message and keeps the previous one', () => {
    const ui = createUi();
    handleKey(ui, { char: '/' }, s, ctx);
    typeKeys(ui, s, 'db:x');
    handleKey(ui, 'enter', s, ctx);
    expect(ui.message).toMatch(/db: needs a number/);
    expect(ui.editing).toBe('db:x');
    handleKey(ui, 'escape', s, ctx);
    expect(ui.editing).toBeNull();
    expect(ui.filter.text).toBe('');
    expect(parseFilter('color:red')).toEqual({ error: expect.stringMatching(/unknown filter "color:"/) });
  });
});

describe('pause and scroll', () => {
  it('space freezes the stream: new commands do not move it until resumed', () => {
    const s = createTuiState();
    for (const e of sharedBgsave()) apply(s, e);
    const ui = createUi();
    handleKey(ui, 'tab', s, ctx);
    expect(ui.view).toBe('stream');
    handleKey(ui, 'space', s, ctx);
    apply(s, cmd(1, T0 + 9000, 999, 0, 'DEL', 'late'));
    expect(visibleCommands(ui, s, 0, 1)[0].name).toBe('SET');
    handleKey(ui, 'down', s, ctx);
    expect(visibleCommands(ui, s, ui.streamScroll, 1)[0].key).toBe('user:2'); // one back in time: link 2's copy
    handleKey(ui, 'space', s, ctx);
    expect(visibleCommands(ui, s, ui.streamScroll, 1)[0].name).toBe('DEL');
  });

  it('in replay, space and +/- become effects for the replay controls', () => {
    const s = createTuiState();
    const ui = createUi();
    const r = { pageRows: 10, replay: true, faults: false };
    expect(handleKey(ui, 'space', s, r)).toEqual([{ kind: 'pause' }]);
    expect(handleKey(ui, { char: '+' }, s, r)).toEqual([{ kind: 'speed', factor: 2 }]);
    expect(handleKey(ui, { char: '-' }, s, r)).toEqual([{ kind: 'speed', factor: 0.5 }]);
    expect(handleKey(ui, 'space', s, r)).toEqual([{ kind: 'resume' }]);
    expect(handleKey(ui, { char: '+' }, s, ctx)).toEqual([]); // live: no replay to speed up
    expect(handleKey(ui, { char: 'q' }, s, ctx)).toEqual([{ kind: 'quit' }]);
  });

  it('Enter opens the selected replica, Esc goes back, ? toggles help', () => {
    const s = createTuiState();
    for (const e of sharedBgsave()) apply(s, e);
    const ui = createUi();
    const keys: Key[] = [{ char: 'j' }, 'enter'];
    for (const k of keys) handleKey(ui, k, s, ctx);
    expect([ui.view, ui.detailLink]).toEqual(['detail', 2]); // #1 is shown selected from the start: j moves to #2
    handleKey(ui, { char: '?' }, s, ctx);
    expect(ui.help).toBe(true);
    handleKey(ui, 'escape', s, ctx);
    expect([ui.help, ui.view]).toEqual([false, 'detail']);
    handleKey(ui, 'escape', s, ctx);
    expect(ui.view).toBe('links');
  });
});

describe('rates by event time', () => {
  it('counts commands and bytes per second of event time, whatever the wall clock', () => {
    const s = createTuiState();
    const at0 = Math.floor(T0 / 1000) * 1000;
    for (let sec = 0; sec < 10; sec++) {
      for (let i = 0; i < sec; i++) apply(s, cmd(1, at0 + sec * 1000 + i, 0, 0, 'PING') as ReplEvent);
    }
    const hist = rateHistory(s.rates, s.now, 'commands', 10);
    expect(hist).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(currentRate(s.rates, s.now, 'commands')).toBe((5 + 6 + 7 + 8 + 9) / 5);
    expect(rateHistory(s.rates, s.now, 'bytes', 2)).toEqual([8 * 14, 9 * 14]); // *1\r\n$4\r\nPING\r\n = 14 bytes
    // 200 s later the old buckets are gone, not mistaken for new ones.
    apply(s, cmd(1, at0 + 200_000, 0, 0, 'PING'));
    expect(rateHistory(s.rates, s.now, 'commands', 180).reduce((a, b) => a + b)).toBe(1);
  });
});
