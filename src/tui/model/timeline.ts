import type { ReplicaRecord } from './replica.js';

// The sync of one replica as consecutive phases, each from one event time to the next, so they add up to the
// total. A phase still running ends at `now` (the latest event time) and is marked ongoing.

export interface TimelinePhase {
  name: 'handshake' | 'waiting for the fork' | 'waiting for BGSAVE' | 'RDB transfer' | 'replica load' | 'catch-up';
  startAt: number;
  endAt: number;
  ongoing: boolean;
  note: string | null;
}

export function syncTimeline(r: ReplicaRecord, now: number): TimelinePhase[] {
  const end = r.closeAt ?? now;
  const phases: TimelinePhase[] = [];
  // Each phase starts where the previous one ended: times from two channels (or a late answer) never overlap.
  const add = (name: TimelinePhase['name'], startAt: number, endAt: number | null, note: string | null = null) => {
    const from = Math.max(startAt, phases.at(-1)?.endAt ?? startAt);
    phases.push({ name, startAt: from, endAt: Math.max(from, endAt ?? end), ongoing: endAt === null && r.closeAt === null, note });
  };
  const full = r.syncKind !== 'partial' || r.twoChannel !== null;
  // The handshake ends at the PSYNC; a full sync then waits for its snapshot: a diskless master delays the fork
  // (repl-diskless-sync-delay) before it even answers +FULLRESYNC, a disk one runs a BGSAVE after answering.
  add('handshake', r.openAt, full ? (r.psyncAt ?? r.syncAt) : r.syncAt);
  if (full && (r.psyncAt !== null || r.syncAt !== null)) {
    const kept = r.keepalives === 1 ? '1 keepalive' : `${r.keepalives} keepalives`;
    const fork = r.rdbMode === 'diskless' || (r.rdbMode === null && r.syncAt === null);
    add(fork ? 'waiting for the fork' : 'waiting for BGSAVE', r.psyncAt ?? r.syncAt!, r.rdbStartAt, kept);
    if (r.rdbStartAt === null) return phases;
    add('RDB transfer', r.rdbStartAt, r.rdbEndAt);
    if (r.rdbEndAt === null) return phases;
    add('replica load', r.rdbEndAt, r.firstAckAt);
  }
  if (r.syncAt === null) return phases;
  const caughtUpFrom = r.firstAckAt ?? (r.syncKind === 'partial' ? r.syncAt : null);
  if (caughtUpFrom === null) return phases;
  add('catch-up', caughtUpFrom, r.caughtUpAt);
  return phases;
}
