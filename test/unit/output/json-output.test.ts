// The outputs write a command by hand for speed: the line must be what the generic form gives, for any bytes
// (quotes, backslashes, control characters, UTF-8, invalid UTF-8, long arguments cut by the decoder) and for any
// field an event carries, now or added later.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandEvent } from '../../../src/core/events.js';
import { jsonLine } from '../../../src/output/json-output.js';
import { textLine } from '../../../src/output/line-output.js';

/** The generic forms: every argument as (shortened) UTF-8 text. */
const text = (arg: Buffer, full = arg.length): string =>
  full <= 256 ? arg.toString('utf8') : `${arg.subarray(0, 256).toString('utf8')}…(${full} bytes)`;
function referenceJson(e: CommandEvent): string {
  const { argv, argBytes, ...rest } = e;
  return JSON.stringify({ ...rest, argv: argv.map((a, i) => text(a, argBytes?.[i])) });
}
const referenceText = (e: CommandEvent): string =>
  `${new Date(e.at).toISOString().slice(11, 23)} #${e.link} command offset=${e.offset} db=${e.db ?? '?'} ${e.argv.map((a, i) => text(a, e.argBytes?.[i])).join(' ')}`.trimEnd();

const arg = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ max: 0x7f, maxLength: 40 }), // ASCII with every control character, quote and backslash
  fc.string({ maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s))),
  fc.constantFrom('SET', 'key:"quoted"', 'back\\slash', 'tab\there', 'ünïcødé', '\u2028').map((s) => new Uint8Array(Buffer.from(s))),
  fc.uint8Array({ minLength: 250, maxLength: 300 }),
);
const command = fc
  .record({
    argv: fc.array(arg, { minLength: 1, maxLength: 5 }),
    at: fc.oneof(fc.double({ min: 1.6e12, max: 2e12, noNaN: true }), fc.integer({ min: 0, max: 2e12 })),
    link: fc.integer({ min: 1, max: 1000 }),
    offset: fc.integer({ min: 0, max: 2 ** 50 }),
    db: fc.option(fc.integer({ min: 0, max: 15 })),
    cut: fc.boolean(),
    pos: fc.integer({ min: 0, max: 1e9 }),
    extra: fc.option(fc.string(), { nil: undefined }),
  })
  .map(({ argv, at, link, offset, db, cut, pos, extra }): CommandEvent => {
    const buffers = argv.map((a) => Buffer.from(a));
    const bytes = buffers.reduce((n, b) => n + b.length, 10);
    const e: CommandEvent = { type: 'command', at, link, offset, db, argv: buffers, bytes, pos, end: pos + bytes };
    if (cut) e.argBytes = buffers.map((b, i) => (i === 0 ? b.length : b.length + 1000));
    // a field added to the event later shows in the line too
    if (extra !== undefined) Object.assign(e, { extra });
    return e;
  });

describe('command lines written by hand', () => {
  it('--json: the same object as the generic form', () => {
    fc.assert(
      fc.property(command, (e) => {
        expect(JSON.parse(jsonLine(e))).toEqual(JSON.parse(referenceJson(e)));
        expect(jsonLine(e)).toBe(referenceJson(e));
      }),
      { numRuns: 2000 },
    );
  });

  it('--no-tui: the same line as the generic form', () => {
    fc.assert(
      fc.property(command, (e) => {
        expect(textLine(e)).toBe(referenceText(e));
      }),
      { numRuns: 2000 },
    );
  });
});
