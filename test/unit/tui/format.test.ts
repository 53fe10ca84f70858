import { describe, expect, it } from 'vitest';
import { progressBar, sparkline, waterfallBar } from '../../../src/tui/format/bar.js';
import { renderFrame } from '../../../src/tui/format/frame.js';
import { fit, spread, truncate } from '../../../src/tui/format/text.js';
import { formatBytes, formatByteRate, formatCount, formatDuration } from '../../../src/tui/format/units.js';
import type { ReplEvent } from '../../../src/core/events.js';
import { apply, createTuiState } from '../../../src/tui/model/state.js';
import { createUi, handleKey, type Key } from '../../../src/tui/model/ui.js';
import { handshake, REPLID, sharedBgsave, T0 } from './scenario.js';

process.env.TZ = 'UTC'; // clock columns in the snapshots

describe('units', () => {
  it('bytes, rates, counts and durations', () => {
    expect([0, 1023, 1536, 10 * 1024 * 1024 + 1, 5e12].map(formatBytes)).toEqual(['0 B', '1023 B', '1.50 KB', '10.0 MB', '4.55 TB']);
    expect([formatByteRate(2 * 1048576), formatByteRate(null)]).toEqual(['2.00 MB/s', '- B/s']);
    expect([0, 7, 2.5, 999, 1234, 56789, 1.2e6].map(formatCount)).toEqual(['0', '7', '2.5', '999', '1.2k', '57k', '1.2M']);
    expect([0, 0.42, 12.4, 999.6, 1500, 12_345, 125_000, 3_725_000, null].map(formatDuration)).toEqual([
      '0 ms', '0.4 ms', '12 ms', '1000 ms', '1.50 s', '12.3 s', '2m05s', '1h02m', '-',
    ]);
  });
});

describe('text and bars fit their width', () => {
  it('truncate, fit, spread', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4)).toBe('ab  ');
    expect(spread('left side', 'right', 12)).toBe('left … right');
  });
  it('progress bars, sparklines and waterfall rows', () => {
    expect(progressBar(0.37, 10)).toBe('████░░░░░░');
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7, 8], 9)).toBe(' ▁▂▃▄▅▆▇█');
    expect(sparkline([5, 5], 6)).toBe('    ██');
    // 180 one-second buckets on 30 cells: 6 s per cell, the newest at the right.
    const burst = new Array(180).fill(0);
    burst[179] = 10;
    expect(sparkline(burst, 30)).toBe(' '.repeat(29) + '█');
    expect(waterfallBar(0, 1, 100, 10)).toBe('█         ');
    expect(waterfallBar(50, 100, 100, 10)).toBe('     █████');
  });
});

function screen(events: ReplEvent[], keys: Key[], width: number, height: number, replay = false, faults = false): string {
  const s = createTuiState();
  for (const e of events) apply(s, e);
  const ui = createUi();
  for (const k of keys) handleKey(ui, k, s, { pageRows: height - 6, replay, faults });
  const frame = renderFrame(s, ui, { width, height, label: '127.0.0.1:7000 → 127.0.0.1:6379', replay: replay ? { speed: 4, paused: false, ended: false } : null, faults });
  for (const line of frame.lines) expect(line).toHaveLength(width);
  expect(frame.lines).toHaveLength(height);
  return frame.lines.join('\n');
}

describe('whole screens, fixed sizes', () => {
  const events = sharedBgsave();
  for (const [w, h] of [
    [80, 24],
    [120, 30],
  ]) {
    it(`links view ${w}x${h}`, () => expect(screen(events, [], w, h)).toMatchSnapshot());
    it(`stream view ${w}x${h}`, () => expect(screen(events, ['tab'], w, h)).toMatchSnapshot());
    it(`link detail ${w}x${h}`, () => expect(screen(events, ['down', 'enter'], w, h)).toMatchSnapshot());
    it(`help ${w}x${h}`, () => expect(screen(events, [{ char: '?' }], w, h, true)).toMatchSnapshot());
  }

  it('filter prompt and filtered, paused stream 80x24', () => {
    const typed: Key[] = [{ char: '/' }, ...'key:user:*'.split('').map((c) => ({ char: c })), 'enter', 'space'];
    expect(screen(events, typed, 80, 24)).toMatchSnapshot();
    expect(screen(events, [{ char: '/' }, { char: 's' }, { char: 'e' }], 80, 24).split('\n').at(-1)).toMatch(/^ \/se_ /);
  });

  it('a replica mid-RDB and one waiting, at 80x24', () => {
    const mid: ReplEvent[] = [
      ...handshake(1, T0, 6381),
      { type: 'fullresync', pos: 0, end: 0, link: 1, at: T0 + 2, replid: REPLID, offset: 0 },
      { type: 'rdb-start', pos: 0, end: 0, link: 1, at: T0 + 1000, mode: 'disk', size: 100 << 20, waitMs: 998, keepalives: 1 },
      { type: 'rdb-progress', pos: 0, end: 0, link: 1, at: T0 + 3000, bytes: 40 << 20, size: 100 << 20 },
      ...handshake(2, T0 + 10, 6382),
      { type: 'fullresync', pos: 0, end: 0, link: 2, at: T0 + 12, replid: REPLID, offset: 0 },
      { type: 'keepalive', pos: 0, end: 0, link: 2, at: T0 + 2012, from: 'master' },
      ...handshake(3, T0 + 20, 6383),
      { type: 'fullresync', pos: 0, end: 0, link: 3, at: T0 + 22, replid: REPLID, offset: 0 },
      { type: 'rdb-start', pos: 0, end: 0, link: 3, at: T0 + 1000, mode: 'diskless', size: null, waitMs: 978, keepalives: 0 },
      { type: 'rdb-progress', pos: 0, end: 0, link: 3, at: T0 + 3000, bytes: 30 << 20, size: null },
    ];
    const text = screen(mid, [], 80, 24);
    expect(text).toMatchSnapshot();
    expect(text).toContain('RDB ████░░░░░░  40% 20.0 MB/s');
    expect(text).toContain('waiting 2.99 s, 1 keepalive');
    expect(text).toContain('RDB 30.0 MB diskless 15.0 MB/s');
  });

  it('a replay at the end of its capture says so in the header', () => {
    const s = createTuiState();
    for (const e of events) apply(s, e);
    const header = (ended: boolean) => renderFrame(s, createUi(), { width: 140, height: 10, label: 'replay x.rspy', replay: { speed: 4, paused: false, ended }, faults: false }).lines[0];
    expect(header(false)).toContain('replay x4');
    expect(header(true)).toContain('replay ended (end of capture)');
  });
});
