// Every socket read hands a fresh 64 KiB buffer that lives outside V8's heap, and V8 frees it only once a
// young-generation collection finds its small wrapper dead. Those collections are paced by what is allocated on
// the heap, which a pump allocates little of, so at loopback speed 40-50 MB of read buffers that nobody held any
// more waited for one: a 512 MB full sync through `repl-spy --json` peaked at 105-111 MB RSS, the bare pump at
// 89-97 MB; with this, 89-93 and 66-67 MB. So after every 8 MiB read, one young-generation collection is asked
// for, after the reads of this turn, never inside one: it takes ~70 µs, as only what is still alive is copied.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const RECLAIM_BYTES = 8 * 1024 * 1024;

export type MinorGc = () => void;

/** V8's collector, exposed to a context of our own only (the program's global gets no `gc`); null if refused. */
function v8MinorGc(): MinorGc | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (o: { type: 'minor'; execution: 'sync' }) => void;
    return () => gc({ type: 'minor', execution: 'sync' });
  } catch {
    return null;
  }
}

/** A counter of bytes read that asks `gc` for a collection, on the next turn, once `everyBytes` were read. */
export function readReclaimer(gc: () => MinorGc | null, everyBytes = RECLAIM_BYTES): (bytes: number) => void {
  let since = 0;
  let scheduled = false;
  let collect: MinorGc | null | undefined;
  const reclaim = (): void => {
    scheduled = false;
    if (collect === undefined) collect = gc(); // asked once: null stays null
    collect?.();
  };
  return (bytes) => {
    since += bytes;
    if (since < everyBytes || scheduled) return;
    since = 0;
    scheduled = true;
    setImmediate(reclaim);
  };
}

/** `bytes` were read from a socket into a buffer of their own. */
export const noteRead = readReclaimer(v8MinorGc);
