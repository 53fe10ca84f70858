import type { CommandEntry } from '../model/command-entry.js';
import { fit, fitRight, truncate } from './text.js';
import { formatClock } from './units.js';

// One propagated command as a row: time, link, db, offset, command and its arguments.

export function commandHeader(width: number, withLink: boolean): string {
  return fit(`${fit('TIME', 12)} ${withLink ? 'LINK ' : ''}${fitRight('DB', 2)} ${fitRight('OFFSET', 11)} ${fit('COMMAND', 9)} ARGS`, width);
}

export function commandRow(e: CommandEntry, width: number, withLink: boolean): string {
  const db = e.db === null ? '?' : String(e.db);
  const args = e.rest === '' ? e.key : `${e.key} ${e.rest}`;
  const link = withLink ? fit(`#${e.link}`, 4) + ' ' : '';
  return fit(`${formatClock(e.at)} ${link}${fitRight(db, 2)} ${fitRight(String(e.offset), 11)} ${fit(e.name, 9)} ${truncate(args, width)}`, width);
}
