// What the masters wrote: commands counted once per replication stream (every replica of a master receives the
// same stream: a command is counted on the first link that carries its offset), by command, key prefix, db and
// cluster slot, and their rate over time. Bounded: names, dbs and prefixes beyond their caps are folded or pruned.
// O(1) per command and no string made for it: this runs for every command of a capture of any size.
import type { CommandEvent } from '../core/events.js';
import { ByteNames } from '../core/byte-names.js';
import { CLUSTER_SLOTS, keySlot } from '../core/key-slot.js';
import { TimeBuckets } from './time-buckets.js';
import { TopCounter, type TopEntry } from './top-counter.js';

/** Propagated commands whose first argument is not a key (scripts and functions name theirs after numkeys). */
const KEYLESS = new Set(['PING', 'SELECT', 'MULTI', 'EXEC', 'REPLCONF', 'FLUSHALL', 'FLUSHDB', 'SWAPDB', 'FUNCTION', 'SCRIPT', 'EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO', 'PUBLISH', 'SPUBLISH']);
const MAX_NAMES = 256;
const MAX_DBS = 64;
const MAX_PREFIX_BYTES = 64;
export const OTHER = '(other)';
export const NO_PREFIX = `(no ':' in the key's first ${MAX_PREFIX_BYTES} bytes)`;
/** the series of all commands in the rate buckets */
export const ALL = '';

export interface Tally {
  count: number;
  bytes: number;
}

/** Where a replication stream's counting is: the last offset counted. */
export interface StreamCursor {
  offset: number;
}

interface NameStats extends Tally {
  name: string;
  keyless: boolean;
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
  private readonly names = new Map<string, NameStats>();
  private readonly nameOf = new ByteNames<NameStats>((text) => this.statsOf(text), true);
  private readonly prefixOf = new ByteNames<string>((text) => `${text}:*`);
  private readonly dbs: Tally[] = [];
  private readonly unknownDb: Tally = { count: 0, bytes: 0 };
  private readonly otherDb: Tally = { count: 0, bytes: 0 };
  private readonly prefixes = new TopCounter();
  private readonly slots = new Float64Array(CLUSTER_SLOTS);
  private readonly total: Tally = { count: 0, bytes: 0 };
  private duplicates = 0;
  private readonly streams = new Map<string, StreamCursor>();

  /** The cursor of a replication stream (its master and replid): every link that carries it shares it. */
  stream(key: string): StreamCursor {
    let cursor = this.streams.get(key);
    if (!cursor) {
      cursor = { offset: -Infinity };
      this.streams.set(key, cursor);
    }
    return cursor;
  }

  add(e: CommandEvent, stream: StreamCursor): void {
    if (e.offset <= stream.offset) {
      this.duplicates++;
      return;
    }
    stream.offset = e.offset;
    const raw = e.argv[0];
    const name = raw === undefined ? this.statsOf('(empty)') : this.nameOf.get(raw, 0, Math.min(raw.length, 32));
    this.total.count++;
    this.total.bytes += e.bytes;
    name.count++;
    name.bytes += e.bytes;
    const db = e.db === null ? this.unknownDb : e.db < MAX_DBS ? (this.dbs[e.db] ??= { count: 0, bytes: 0 }) : this.otherDb;
    db.count++;
    db.bytes += e.bytes;
    this.rates.add(ALL, e.at, 1);
    this.rates.add(name.name, e.at, 1);
    const key = e.argv[1];
    if (key === undefined || name.keyless) return;
    const end = Math.min(key.length, MAX_PREFIX_BYTES);
    let colon = 0;
    while (colon < end && key[colon] !== 0x3a) colon++;
    this.prefixes.add(colon < end ? this.prefixOf.get(key, 0, colon) : NO_PREFIX);
    const whole = e.argBytes === undefined || e.argBytes[1] === key.length; // a cut key has no known slot
    if (whole) this.slots[keySlot(key)]++;
  }

  view(): CommandStatsView {
    const byCount = <T extends Tally>(rows: T[]) => rows.filter((r) => r.count > 0).sort((a, b) => b.count - a.count);
    const dbs = this.dbs.flatMap((t, db) => (t ? [{ db: String(db), ...t }] : []));
    return {
      total: { ...this.total },
      duplicates: this.duplicates,
      byName: byCount([...this.names.values()].map(({ name, count, bytes }) => ({ name, count, bytes }))),
      byDb: byCount([...dbs, { db: 'unknown', ...this.unknownDb }, { db: OTHER, ...this.otherDb }]),
      prefixes: this.prefixes.top(50),
      prefixesApproximate: this.prefixes.approximate,
      slots: this.slots,
      rates: this.rates,
    };
  }

  /** The stats of a command name; past MAX_NAMES names, the rest count together. */
  private statsOf(name: string): NameStats {
    let stats = this.names.get(name);
    if (!stats) {
      if (this.names.size >= MAX_NAMES && name !== OTHER) return this.statsOf(OTHER);
      stats = { name, count: 0, bytes: 0, keyless: KEYLESS.has(name) };
      this.names.set(name, stats);
    }
    return stats;
  }
}
