// Runs a transcript (the bytes each side sent, in order) through a LinkDecoder under every chunking of every step,
// and checks that the decoded events never depend on how the bytes were split.
import { expect } from 'vitest';
import type { From, GapReason, ReplEvent } from '../../src/core/events.js';
import { LinkDecoder, type LinkDecoderOptions } from '../../src/decode/link-decoder.js';
import { chunkings, sampledChunkings } from './chunkings.js';

export type Step =
  | {
      from: From;
      bytes: Buffer | string;
      /** time of the step (ms); defaults to its index */
      at?: number;
      /** instead of bytes: this many bytes missing (a gap), with this reason */
      gap?: number;
      reason?: GapReason;
    }
  /** a clock tick at this time (ms), as the live command's timer gives one */
  | { tick: number }
  /** the link opens (from the client at this address) or closes, at this time (ms) */
  | { open: string; at: number }
  | { close: 'master' | 'replica' | 'proxy'; at: number };

/** A step of `bytes` bytes missing from that direction. */
export function gapStep(from: From, bytes: number, at?: number, reason: GapReason = 'not in the packet capture'): Step {
  return { from, bytes: '', gap: bytes, reason, at };
}

/** Events with views copied, so they can be kept and compared. */
function decodeSteps(steps: Step[], split: (i: number, b: Buffer) => Buffer[] = (_i, b) => [b], opts: LinkDecoderOptions = {}): ReplEvent[] {
  const out: ReplEvent[] = [];
  const d = new LinkDecoder(1, (e) => out.push(e.type === 'command' ? { ...e, argv: e.argv.map((a) => Buffer.from(a)) } : e), opts);
  steps.forEach((s, i) => {
    if ('tick' in s) return d.lag.tick(s.tick);
    if ('open' in s) return d.feed({ kind: 'open', link: 1, at: s.at, replica: s.open, master: 'master:6379' });
    if ('close' in s) return d.feed({ kind: 'close', link: 1, at: s.at, by: s.close, reason: 'closed' });
    if (s.gap !== undefined) return d.feed({ kind: 'gap', link: 1, at: s.at ?? i, from: s.from, bytes: s.gap, reason: s.reason ?? 'not in the packet capture' });
    const bytes = typeof s.bytes === 'string' ? Buffer.from(s.bytes, 'latin1') : s.bytes;
    for (const chunk of split(i, bytes)) d.feed({ kind: 'bytes', link: 1, at: s.at ?? i, from: s.from, chunk });
  });
  return out;
}

/** Decodes whole, then under every chunking of each step; returns the events of the whole run. */
export function decodeEveryChunking(steps: Step[], opts: LinkDecoderOptions = {}): ReplEvent[] {
  const whole = decodeSteps(steps, undefined, opts);
  const expected = normalise(whole);
  steps.forEach((s, i) => {
    if ('tick' in s || 'open' in s || 'close' in s) return;
    const bytes = typeof s.bytes === 'string' ? Buffer.from(s.bytes, 'latin1') : s.bytes;
    for (const c of bytes.length > 2000 ? sampledChunkings(bytes, 200, 10) : chunkings(bytes, 10)) {
      const got = normalise(decodeSteps(steps, (k, b) => (k === i ? c.chunks : [b]), opts));
      if (JSON.stringify(got) !== JSON.stringify(expected)) expect(got, `step ${i} ${c.name}`).toEqual(expected);
    }
  });
  return whole;
}

/** rdb-progress depends on where chunks end; everything else must not. */
function normalise(events: ReplEvent[]): unknown[] {
  return events.filter((e) => e.type !== 'rdb-progress').map((e) => (e.type === 'command' ? { ...e, argv: e.argv.map((a) => a.toString('latin1')) } : e));
}

export function resp(...argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
}

export function types(events: ReplEvent[]): string[] {
  return events.map((e) => e.type);
}
