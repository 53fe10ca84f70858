// What the masters wrote: commands counted once per replication stream (every replica of a master receives the
// same stream: a command is counted on the first link that carries its offset), by command, key prefix, db and
// cluster slot, and their rate over time. Bounded: names, dbs and prefixes beyond their caps are folded or pruned.
import type { CommandEvent } from '../core/events.js';
import { CLUSTER_SLOTS, keySlot } from './key-slot.js';
import { TimeBuckets } from './time-buckets.js';
import { TopCounter, type TopEntry } from './top-counter.js';

/** Propagated commands whose first argument is not a key (scripts and functions name theirs after numkeys). */
const KEYLESS = new Set(['PING', 'SELECT', 'MULTI', 'EXEC', 'REPLCONF', 'FLUSHALL', 'FLUSHDB', 'SWAPDB', 'FUNCTION', 'SCRIPT', 'EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO', 'PUBLISH', 'SPUBLISH']);
const MAX_NAMES = 256;
const MAX_DBS = 64;
const MAX_PREFIX_BYTES = 64;
export const OTHER = '(other)';
export const NO_PREFIX = "(no ':' in the key)";
/** the series of all commands in the rate buckets */
export const ALL = '';

export interface Tally {
  count: number;
  bytes: number;
}

export interface CommandStatsView {
  /** commands counted (once per stream) and their bytes */
  total: Tally;
  /** commands seen again on another link of the same stream */
  duplicates: number;
  byName: (Tally & { name: string })[];
  byDb: (Tally & { db: string })[];
  prefixes: TopEntry[];
  prefixesApproximate: boolean;
  /** commands per slot, for keys that have one */
  slots: Float64Array;
  rates: TimeBuckets;
}

export class CommandStats {
  private readonly rates = new TimeBuckets('sum', 480, 1000, MAX_NAMES + 2);
  private readonly names = new Map<string, Tally>();
  private readonly dbs = new Map<string, Tally>();
  private readonly prefixes = new TopCounter();
  private readonly slots = new Float64Array(CLUSTER_SLOTS);
  private readonly total: Tally = { count: 0, bytes: 0 };
  private duplicates = 0;
  /** last offset counted per stream */
  private readonly counted = new Map<string, number>();
  // the name of the previous command: most streams repeat a few names, so most commands skip the conversion
  private lastRaw: Buffer = Buffer.alloc(0);
  private lastName = '';

  /** `stream`: the replication stream the command's link carries (its master and replid). */
  add(e: CommandEvent, stream: string): void {
    const last = this.counted.get(stream);
    if (last !== undefined && e.offset <= last) {
      this.duplicates++;
      return;
    }
    this.counted.set(stream, e.offset);
    const name = this.nameOf(e.argv[0]);
    this.total.count++;
    this.total.bytes += e.bytes;
    tally(this.names, this.names.has(name) || this.names.size < MAX_NAMES ? name : OTHER, e.bytes);
    const db = e.db === null ? 'unknown' : String(e.db);
    tally(this.dbs, this.dbs.has(db) || this.dbs.size < MAX_DBS ? db : OTHER, e.bytes);
    this.rates.add(ALL, e.at, 1);
    if (!this.rates.add(name, e.at, 1)) this.rates.add(OTHER, e.at, 1);
    const key = e.argv[1];
    if (key === undefined || KEYLESS.has(name)) return;
    const colon = key.indexOf(0x3a);
    this.prefixes.add(colon < 0 ? NO_PREFIX : `${key.toString('latin1', 0, Math.min(colon, MAX_PREFIX_BYTES))}:*`);
    const whole = e.argBytes === undefined || e.argBytes[1] === key.length; // a cut key has no known slot
    if (whole) this.slots[keySlot(key)]++;
  }

  view(): CommandStatsView {
    const rows = <K extends string>(m: Map<string, Tally>, k: K) =>
      [...m.entries()].map(([v, t]) => ({ [k]: v, ...t }) as Tally & Record<K, string>).sort((a, b) => b.count - a.count);
    return {
      total: { ...this.total },
      duplicates: this.duplicates,
      byName: rows(this.names, 'name'),
      byDb: rows(this.dbs, 'db'),
      prefixes: this.prefixes.top(50),
      prefixesApproximate: this.prefixes.approximate,
      slots: this.slots,
      rates: this.rates,
    };
  }

  private nameOf(raw: Buffer | undefined): string {
    if (raw === undefined) return '(empty)';
    if (!raw.equals(this.lastRaw)) {
      this.lastRaw = Buffer.from(raw); // the view is only valid during the event
      this.lastName = raw.toString('latin1', 0, 32).toUpperCase();
    }
    return this.lastName;
  }
}

function tally(m: Map<string, Tally>, key: string, bytes: number): void {
  const t = m.get(key);
  if (t) {
    t.count++;
    t.bytes += bytes;
  } else {
    m.set(key, { count: 1, bytes });
  }
}
