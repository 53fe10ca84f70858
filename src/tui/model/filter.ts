import { globToRegExp } from '../../core/glob.js';
import { inSlotRange, parseSlotRange, type SlotRange } from '../../core/slot-range.js';
import type { CommandEntry } from './command-entry.js';

// The stream filter typed after `/`: space-separated terms, all of which must match.
//   set           command name (case-insensitive); several names mean "any of them"
//   key:user:*    key pattern, Redis glob syntax (* ? [abc] [^a] [a-z] \x)
//   db:3          database number
//   link:2        link number (#2 on screen)
//   slot:N        cluster hash slot of the command's keys; slot:A-B a range (both included)

export interface StreamFilter {
  text: string;
  names: string[];
  key: RegExp | null;
  db: number | null;
  link: number | null;
  slot: SlotRange | null;
}

export const NO_FILTER: StreamFilter = { text: '', names: [], key: null, db: null, link: null, slot: null };

export function parseFilter(text: string): { filter: StreamFilter } | { error: string } {
  const f: StreamFilter = { text: text.trim(), names: [], key: null, db: null, link: null, slot: null };
  for (const term of f.text.split(/\s+/).filter(Boolean)) {
    const colon = term.indexOf(':');
    const field = colon > 0 ? term.slice(0, colon).toLowerCase() : '';
    const value = colon > 0 ? term.slice(colon + 1) : term;
    if (field === 'key') {
      if (value === '') return { error: 'key: needs a pattern, e.g. key:user:*' };
      f.key = globToRegExp(value);
    } else if (field === 'db' || field === 'link') {
      const n = Number(value.replace(/^#/, ''));
      if (!Number.isInteger(n) || n < 0) return { error: `${field}: needs a number, got "${value}"` };
      if (field === 'db') f.db = n;
      else f.link = n;
    } else if (field === 'slot') {
      const range = parseSlotRange(value);
      if ('error' in range) return { error: `slot: ${range.error}` };
      f.slot = range;
    } else if (field === '' || field === 'cmd') {
      f.names.push(value.toUpperCase());
    } else {
      return { error: `unknown filter "${field}:" (use a command name, key:, db:, link:, slot:)` };
    }
  }
  return { filter: f };
}

export function matches(e: CommandEntry, f: StreamFilter): boolean {
  if (f.link !== null && e.link !== f.link) return false;
  if (f.db !== null && e.db !== f.db) return false;
  if (f.names.length > 0 && !f.names.includes(e.name)) return false;
  if (f.key !== null && !f.key.test(e.key)) return false;
  if (f.slot !== null && !inSlotRange(e.slot, f.slot)) return false;
  return true;
}
