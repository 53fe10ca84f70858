// `--json`: one JSON object per event and line. Command arguments become (shortened) strings. A command, by far
// the most frequent event, is written by hand, with its fields as JSON.stringify gave them (argv last).

import type { CommandEvent, ReplEvent } from '../core/events.js';
import { argJson } from './argv-text.js';

export function jsonLine(e: ReplEvent): string {
  if (e.type === 'command') return commandJson(e);
  return JSON.stringify(e);
}

function commandJson(e: CommandEvent): string {
  let out = '{';
  for (const key in e) {
    if (key === 'argv' || key === 'argBytes') continue;
    const v = (e as unknown as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}"${key}":${typeof v === 'number' ? num(v) : JSON.stringify(v)}`;
  }
  const { argv, argBytes } = e;
  out += `${out.length > 1 ? ',' : ''}"argv":[`;
  for (let i = 0; i < argv.length; i++) out += (i === 0 ? '' : ',') + argJson(argv[i]!, argBytes?.[i]);
  return out + ']}';
}

/** As JSON.stringify writes a number (null for what JSON has no number for). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}
