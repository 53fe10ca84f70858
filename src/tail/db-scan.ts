// Learns the db a master's stream is in at an offset before tail starts there: a short replica connection of its
// own reads up to SCAN_BYTES of the backlog before the offset (PSYNC inside the backlog: +CONTINUE, no fork) and
// looks for the last SELECT. It is not a link of the output or the capture: only the db it finds is.
import type { MasterReplInfo } from '../decode/analysis/master-info.js';
import type { HostPort } from '../core/host-port.js';
import type { ClientTls } from '../net/tls-options.js';
import { openMasterLink, type MasterAuth, type MasterLink } from './master-link.js';
import type { StreamPosition } from './psync-plan.js';
import { lastSelectedDb } from './select-scan.js';

/** How much of the backlog before the start is read, at most. */
export const SCAN_BYTES = 16 * 1024 * 1024;
const SCAN_TIMEOUT_MS = 10_000;

/** The db at `at.offset`, or null when the backlog before it holds no SELECT (or cannot be read). */
export async function streamDbAt(master: HostPort, opts: { tls: ClientTls | null; auth: MasterAuth }, at: StreamPosition, info: MasterReplInfo): Promise<number | null> {
  const from = Math.max(info.backlogFirstByte, at.offset + 1 - SCAN_BYTES);
  if (from > at.offset || at.replid !== info.replid) return null;
  const want = at.offset - from + 1; // stream bytes from `from` through `at.offset`
  const parts: Buffer[] = [];
  let got = 0;
  let head = Buffer.alloc(0); // reply lines not yet read
  let replies = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let link!: MasterLink;
  const opened = await openMasterLink(master, {
    link: 0,
    tls: opts.tls,
    auth: opts.auth,
    onWire: () => undefined,
    onMasterBytes(chunk) {
      let rest = chunk;
      while (replies <= link.replconfs && rest.length > 0) {
        head = Buffer.concat([head, rest]);
        const nl = head.indexOf('\n');
        if (nl < 0) return;
        const line = head.subarray(0, nl).toString('latin1');
        rest = head.subarray(nl + 1);
        head = Buffer.alloc(0);
        replies++;
        if (replies === link.replconfs) link.psync();
        if (replies === link.replconfs + 1 && !line.startsWith('+CONTINUE')) return link.close('no +CONTINUE');
      }
      if (replies <= link.replconfs) return;
      const take = rest.subarray(0, want - got);
      parts.push(take);
      got += take.length;
      if (got >= want) link.close('scanned');
    },
  }).catch(() => null);
  if (!opened) return null;
  link = opened;
  void link.closed.then(done);
  link.start({ replid: at.replid, offset: from, smallestRdb: false, streamDb: null });
  const timer = setTimeout(() => link.close('scan timed out'), SCAN_TIMEOUT_MS);
  await finished;
  clearTimeout(timer);
  return got === want ? lastSelectedDb(Buffer.concat(parts)) : null;
}
