// `--json`: one JSON object per event and line. Command arguments become (shortened) strings. A command, by far
// the most frequent event, is written by hand: the same object as JSON.stringify gives, argv last.

import type { CommandEvent, ReplEvent } from '../core/events.js';
import { argJson } from './argv-text.js';

export function jsonLine(e: ReplEvent): string {
  if (e.type === 'command') return commandJson(e);
  return JSON.stringify(e);
}

/** The fields written by hand; any other field an event gets is written after them, as JSON.stringify would. */
const COMMAND_FIELDS = new Set(['type', 'at', 'link', 'offset', 'db', 'bytes', 'argv', 'argBytes']);

function commandJson(e: CommandEvent): string {
  let extra = '';
  for (const key in e) {
    if (COMMAND_FIELDS.has(key)) continue;
    const v = (e as unknown as Record<string, unknown>)[key];
    if (v !== undefined) extra += `,"${key}":${JSON.stringify(v)}`;
  }
  const { argv, argBytes } = e;
  let args = argv.length > 0 ? argJson(argv[0]!, argBytes?.[0]) : '';
  for (let i = 1; i < argv.length; i++) args += `,${argJson(argv[i]!, argBytes?.[i])}`;
  return `{"type":"command","at":${num(e.at)},"link":${e.link},"offset":${e.offset},"db":${e.db},"bytes":${e.bytes}${extra},"argv":[${args}]}`;
}

/** As JSON.stringify writes a number (null for what JSON has no number for). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}
