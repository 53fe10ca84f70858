import type { CommandEvent } from '../../core/events.js';

// What the TUI keeps of one propagated command. CommandEvent.argv are views into the forwarded chunk,
// valid only during the emit call, so the entry holds short printable copies and never a Buffer.

export interface CommandEntry {
  /** arrival order across all links, for stable selection */
  seq: number;
  at: number;
  link: number;
  offset: number;
  db: number | null;
  /** upper-case command name, e.g. "SET" */
  name: string;
  /** the first argument (usually the key), escaped, kept long enough to match key patterns; "" when none */
  key: string;
  /** the arguments after the key, escaped, shortened and joined with spaces */
  rest: string;
  bytes: number;
  /** cluster hash slot of its keys (absent: none, several, cut) */
  slot?: number;
}

/** Longest argument text kept; longer ones end in "…(N bytes)". */
export const ARG_CHARS = 40;
/** Arguments kept per command; more are summarised as "+N more". */
export const MAX_ARGS = 8;
const NAME_CHARS = 24;
const KEY_CHARS = 200;

/** Bytes to text as redis-cli shows them: printable ASCII as is, anything else as \xNN. */
export function printable(buf: Buffer, maxChars: number, fullBytes = buf.length): string {
  const n = Math.min(buf.length, maxChars);
  let plain = true;
  for (let i = 0; i < n && plain; i++) plain = buf[i] >= 0x20 && buf[i] < 0x7f && buf[i] !== 0x5c;
  // Common case: one flat string, no per-character concatenation (ropes would be kept in the rings).
  let out = plain ? buf.toString('latin1', 0, n) : escaped(buf, maxChars);
  const shown = plain ? n : buf.length;
  if (shown < fullBytes || (!plain && out.length > maxChars)) out = out.slice(0, maxChars) + `…(${fullBytes} bytes)`;
  return out;
}

function escaped(buf: Buffer, maxChars: number): string {
  const parts: string[] = [];
  let len = 0;
  for (let i = 0; i < buf.length && len <= maxChars; i++) {
    const b = buf[i];
    const p =
      b === 0x5c ? '\\\\' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === 0x0a ? '\\n' : b === 0x0d ? '\\r' : '\\x' + b.toString(16).padStart(2, '0');
    parts.push(p);
    len += p.length;
  }
  return parts.join('');
}

export function toCommandEntry(e: CommandEvent, seq: number): CommandEntry {
  const { argv, argBytes } = e;
  const name = argv.length > 0 ? printable(argv[0], NAME_CHARS, argBytes?.[0]).toUpperCase() : '';
  const key = argv.length > 1 ? printable(argv[1], KEY_CHARS, argBytes?.[1]) : '';
  const parts: string[] = [];
  const last = Math.min(argv.length, MAX_ARGS + 1);
  for (let i = 2; i < last; i++) parts.push(printable(argv[i], ARG_CHARS, argBytes?.[i]));
  if (argv.length > last) parts.push(`+${argv.length - last} more`);
  return {
    seq,
    at: e.at,
    link: e.link,
    offset: e.offset,
    db: e.db,
    name,
    key,
    rest: parts.join(' '),
    bytes: e.bytes,
    slot: e.slot,
  };
}
