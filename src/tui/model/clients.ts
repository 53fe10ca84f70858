// Client links (not replicas) are summarised, never listed one by one: how many are open per kind, how many closed,
// and the commands they sent. O(1) per event.
import type { ClientKind, ReplEvent } from '../../core/events.js';

export interface ClientTally {
  /** open client links and their kind */
  open: Map<number, ClientKind>;
  closed: number;
  /** commands of the closed client links (open ones are counted at their close) */
  commands: number;
  /** protocol violations on client links (bytes a server refuses) */
  violations: number;
}

export function createClientTally(): ClientTally {
  return { open: new Map(), closed: 0, commands: 0, violations: 0 };
}

/** Takes a client link's event; false for an event of any other link. */
export function applyClientEvent(t: ClientTally, e: ReplEvent): boolean {
  switch (e.type) {
    case 'client-open':
    case 'client-update':
      t.open.set(e.link, e.kind);
      return true;
    case 'client-close':
      t.open.delete(e.link);
      t.closed++;
      t.commands += e.commands;
      return true;
    case 'client-command':
      return true;
    default:
      if (!t.open.has(e.link)) return false;
      if (e.type === 'protocol-violation') t.violations++;
      return true;
  }
}

/** "clients: 3 open (sentinel 2, unknown 1), 120 closed, 80008 commands" */
export function clientSummary(t: ClientTally): string | null {
  if (t.open.size === 0 && t.closed === 0) return null;
  const byKind = new Map<ClientKind, number>();
  for (const kind of t.open.values()) byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  const kinds = [...byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  const violations = t.violations > 0 ? `, ${t.violations} sent bytes a server refuses` : '';
  return `clients: ${t.open.size} open${kinds ? ` (${kinds})` : ''}, ${t.closed} closed, ${t.commands} commands${violations}`;
}
