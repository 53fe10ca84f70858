// The optional side channel of the resync reasons: reads `INFO replication` of every lab server a few times a
// second over its own connection (read-only, never in the forward path) and hands the facts to the analyzer.
import { formatHostPort } from '../core/host-port.js';
import { parseReplicationInfo, type MasterReplInfo } from '../analysis/master-info.js';
import type { RedisProcess } from './redis-process.js';

export const INFO_POLL_MS = 200;

export function pollReplicationInfo(
  servers: RedisProcess[],
  onInfo: (master: string, info: MasterReplInfo) => void,
): { stop(): void; firstRound: Promise<void> } {
  let busy = false;
  const round = async (): Promise<void> => {
    if (busy) return; // a slow server delays the next round rather than piling up requests
    busy = true;
    await Promise.all(
      servers.map(async (s) => {
        const text = await s.client.send(['INFO', 'replication']).catch(() => null);
        const info = typeof text === 'string' ? parseReplicationInfo(text, Date.now()) : null;
        if (info) onInfo(formatHostPort(s.host, s.port), info);
      }),
    ).finally(() => (busy = false));
  };
  // A first reading right away: the replicas' own histories are known before they are pointed at the master.
  const firstRound = round();
  const timer = setInterval(() => void round(), INFO_POLL_MS);
  return { stop: () => clearInterval(timer), firstRound };
}
