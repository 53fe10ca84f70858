// `--json`: one JSON object per event and line. Command arguments become (shortened) strings.

import type { ReplEvent } from '../core/events.js';
import { argvText } from './argv-text.js';

export function jsonLine(e: ReplEvent): string {
  if (e.type === 'command') {
    const { argv, argBytes, ...rest } = e;
    return JSON.stringify({ ...rest, argv: argvText(argv, argBytes) });
  }
  return JSON.stringify(e);
}
