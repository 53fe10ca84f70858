import type { ReplicaRecord } from './replica.js';

// The sync of one replica as consecutive phases, each from one event time to the next. A phase still
// running ends at `now` (the latest event time) and is marked ongoing.

export interface TimelinePhase {
  name: 'handshake' | 'waiting for BGSAVE' | 'RDB transfer' | 'replica load' | 'catch-up';
  startAt: number;
  endAt: number;
  ongoing: boolean;
  note: string | null;
}

export function syncTimeline(r: ReplicaRecord, now: number): TimelinePhase[] {
  const end = r.closeAt ?? now;
  const phases: TimelinePhase[] = [];
  const add = (name: TimelinePhase['name'], startAt: number, endAt: number | null, note: string | null = null) => {
    phases.push({ name, startAt, endAt: endAt ?? Math.max(startAt, end), ongoing: endAt === null && r.closeAt === null, note });
  };
  add('handshake', r.openAt, r.syncAt);
  if (r.syncAt === null) return phases;
  if (r.syncKind !== 'partial' || r.twoChannel !== null) {
    const kept = r.keepalives === 1 ? '1 keepalive' : `${r.keepalives} keepalives`;
    add('waiting for BGSAVE', r.syncAt, r.rdbStartAt, kept);
    if (r.rdbStartAt === null) return phases;
    add('RDB transfer', r.rdbStartAt, r.rdbEndAt);
    if (r.rdbEndAt === null) return phases;
    add('replica load', r.rdbEndAt, r.firstAckAt);
  }
  const caughtUpFrom = r.firstAckAt ?? (r.syncKind === 'partial' ? r.syncAt : null);
  if (caughtUpFrom === null) return phases;
  add('catch-up', caughtUpFrom, r.caughtUpAt);
  return phases;
}
