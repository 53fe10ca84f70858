// What replay shows: `--link N` keeps the events of one link (and cross-link events that name it); the
// command filters (name, key glob, db, cluster slot) select among propagated commands and leave every other event shown.
import { globToRegExp } from '../core/glob.js';
import type { ReplEvent } from '../core/events.js';
import { inSlotRange, type SlotRange } from '../core/slot-range.js';

export interface EventFilterOptions {
  link?: number;
  /** command name, case-insensitive */
  command?: string;
  /** glob on the first argument after the name: `*`, `?`, `[abc]` */
  key?: string;
  db?: number;
  /** the cluster hash slots of the command's keys: a command without keys (or with keys of several slots) is out */
  slot?: SlotRange;
}

export function eventFilter(opts: EventFilterOptions): (e: ReplEvent) => boolean {
  const name = opts.command?.toUpperCase();
  const key = opts.key === undefined ? null : globToRegExp(opts.key);
  return (e) => {
    if (opts.link !== undefined && !concernsLink(e, opts.link)) return false;
    if (e.type !== 'command') return true;
    if (name !== undefined && e.argv[0]?.toString('latin1').toUpperCase() !== name) return false;
    if (key && !(e.argv.length > 1 && key.test(e.argv[1]!.toString('latin1')))) return false;
    if (opts.db !== undefined && e.db !== opts.db) return false;
    if (opts.slot !== undefined && !inSlotRange(e.slot, opts.slot)) return false;
    return true;
  };
}

function concernsLink(e: ReplEvent, link: number): boolean {
  if (e.type === 'link-pair') return e.mainLink === link || e.rdbLink === link;
  if (e.type === 'shared-snapshot') return e.links.includes(link);
  return e.link === link;
}

/** `--link N` when the capture has no link N: what to say (null when there is nothing to say). */
export function missingLink(link: number | undefined, seen: ReadonlySet<number>): string | null {
  if (link === undefined || seen.has(link)) return null;
  return `the capture has no link ${link} (its links: ${seen.size > 0 ? [...seen].sort((a, b) => a - b).join(', ') : 'none'})`;
}
