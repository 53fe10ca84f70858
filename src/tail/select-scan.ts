// Which db a master's stream is in at an offset, from the backlog bytes before it: a +CONTINUE sends no SELECT,
// and a master sends one only when the db changes, so the last SELECT before the offset says it. The bytes may
// start inside a command, so a SELECT counts only when the framing from it reaches the offset exactly, in whole
// commands (a SELECT inside a value would not). Pure.
import { RespFramer } from '../resp/framer.js';

/** As the master writes it (R7.0 replicationFeedSlaves, shared select commands). */
const SELECT_HEAD = Buffer.from('*2\r\n$6\r\nSELECT\r\n$', 'latin1');

/** `stream`: the bytes that end at the offset in question. The db of its last SELECT that frames cleanly to its
 *  end, or null when there is none. */
export function lastSelectedDb(stream: Buffer): number | null {
  for (let at = stream.lastIndexOf(SELECT_HEAD); at >= 0; at = at === 0 ? -1 : stream.lastIndexOf(SELECT_HEAD, at - 1)) {
    const db = framesToEnd(stream.subarray(at));
    if (db !== null) return db;
  }
  return null;
}

/** The db of the SELECT `bytes` start with, when they are whole commands to their end; else null. */
function framesToEnd(bytes: Buffer): number | null {
  let db: number | null = null;
  let first = true;
  let clean = true;
  const framer = new RespFramer('requests', {
    command: (argv) => {
      if (first) db = Number(argv[1]?.toString('latin1'));
      first = false;
    },
    inline: () => (clean = false),
    keepalive: () => (clean = false),
    error: () => (clean = false),
  });
  framer.feed(bytes);
  return clean && framer.atBoundary && db !== null && Number.isSafeInteger(db) ? db : null;
}
