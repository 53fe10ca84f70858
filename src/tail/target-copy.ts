// `tail --to HOST:PORT`: a live copy of the master on another server. repl-spy acts as that server's master (it
// is told REPLICAOF <us>, as with `replay --to`) and relays the master's stream to it, complete commands only, so
// the copy's own replication offset is the master's. The copy survives cuts on either side: bytes stay here until
// the target acknowledges them, so a target that reconnects (PSYNC <replid> <offset>) gets +CONTINUE and exactly
// what it lacks; a master link that is cut resumes where the last complete command ended. When tail stops, the
// target stays a replica whose link is down, holding the master's history up to the offset it acknowledged: a
// later `tail --to` continues it from there.
//
// A new copy starts from an empty dataset (an RDB with no keys) at the first offset where the db of the stream is
// known (a +CONTINUE carries no SELECT): the target is refused if it holds anything, unless --force.
import type net from 'node:net';
import { ReplSpyError } from '../core/errors.js';
import type { HostPort } from '../core/host-port.js';
import { connectTarget, whatItHolds } from '../replay/fake-master.js';
import { readReplicaRequests } from '../net/replica-requests.js';
import { createReplicaServer } from '../net/replica-server.js';
import { ByteQueue } from './byte-queue.js';
import { emptyRdb } from './empty-rdb.js';
import type { StreamPosition } from './psync-plan.js';
import type { StreamRelay } from './tail.js';

/** Bytes the target may lag behind (sent or not, not yet acknowledged) before the master is held back. */
const MAX_UNACKED_BYTES = 64 * 1024 * 1024;
/** How long stopping waits for the target to acknowledge what it was sent (it ACKs once a second). */
const FINAL_ACK_WAIT_MS = 3_000;

export interface TargetCopyOptions {
  target: HostPort;
  password?: string;
  user?: string;
  force: boolean;
  log: (line: string) => void;
}

export interface TargetCopy extends StreamRelay {
  /** the history the target holds and tail continues; null: a new copy */
  readonly resumeAt: StreamPosition | null;
  readonly failed: Promise<ReplSpyError>;
  /** told when the master must be held back (the target cannot take more) and let go again */
  onHold: (held: boolean) => void;
  /** Waits a little for the target's last ACK and stops serving it; resolves with what it acknowledged. */
  close(): Promise<StreamPosition | null>;
}

/** The history a server holds as a replica of a link that is down (a copy tail served before): continuable. */
export function targetHistory(replication: string): StreamPosition | null {
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*?)\r?$`, 'm').exec(replication)?.[1];
  const offset = Number(field('master_repl_offset'));
  if (field('role') !== 'slave' || field('master_link_status') === 'up' || !Number.isSafeInteger(offset) || !field('master_replid')) return null;
  return { replid: field('master_replid')!, offset, db: null };
}

export async function openTargetCopy(opts: TargetCopyOptions): Promise<TargetCopy> {
  const { admin, command, where } = await connectTarget(opts.target, { password: opts.password, user: opts.user, targetTls: null });
  try {
    const keyspace = String(await command('INFO', 'keyspace'));
    const replication = String(await command('INFO', 'replication'));
    const resumeAt = targetHistory(replication);
    if (resumeAt) {
      opts.log(`--to: ${where} is a copy of ${resumeAt.replid} up to offset ${resumeAt.offset} whose link is down: continuing it from there`);
    } else {
      const held = whatItHolds(keyspace, replication);
      if (held.length > 0 && !opts.force) {
        throw new ReplSpyError('RSPY_REPLAY_REFUSED', `refusing to make ${where} a copy: ${held.join('; ')}`, {
          hint: 'a new copy starts from an empty dataset: point --to at an empty master, or add --force to replace it',
        });
      }
      if (held.length > 0) opts.log(`--force: ${where} will be replaced: ${held.join('; ')}`);
    }
    return serveCopy(opts, where, admin.localAddress, command, () => admin.close(), resumeAt);
  } catch (err) {
    admin.close();
    throw err;
  }
}

function serveCopy(
  opts: TargetCopyOptions,
  where: string,
  ourHost: string,
  command: (...argv: string[]) => Promise<unknown>,
  closeAdmin: () => void,
  resumeAt: StreamPosition | null,
): TargetCopy {
  let fail!: (err: ReplSpyError) => void;
  const failed = new Promise<ReplSpyError>((resolve) => (fail = resolve));
  const give = (message: string): void => fail(new ReplSpyError('RSPY_TAIL', `--to ${where}: ${message}`));
  // offsets: ackBase ≤ sent ≤ committed ≤ received; unacked holds (ackBase, sent], unsent (sent, received]
  const unacked = new ByteQueue();
  const unsent = new ByteQueue();
  let first = resumeAt === null; // a new copy: the offsets start with the first bytes that come
  let ackBase = resumeAt?.offset ?? 0;
  let sent = ackBase;
  let committed = ackBase;
  let replid = resumeAt?.replid ?? '';
  const histories = new Set<string>(resumeAt ? [resumeAt.replid] : []); // replids of what the target may hold
  let started = resumeAt !== null; // the copy has a start: bytes may go to the target
  let startDb = 0;
  let synced = resumeAt !== null; // the target holds our history (resumed, or after our +FULLRESYNC)
  let replica: net.Socket | null = null;
  let streaming = false;
  let held = false;
  let waitingSaid = false;
  let listening: Promise<void> | null = null;

  const { server, dropHandshakes } = createReplicaServer({
    tls: null,
    handshakeTimeoutMs: 10_000,
    onReplica(socket) {
      replica?.destroy();
      replica = socket;
      streaming = false;
      serve(socket);
      socket.resume();
    },
    onRefused: ({ reason }) => give(`its replication connection was refused: ${reason}`),
  });

  const copy: TargetCopy = {
    resumeAt,
    failed,
    onHold: () => undefined,
    stream(part, firstOffset) {
      if (first) ackBase = sent = committed = firstOffset - 1;
      first = false;
      const expected = sent + unsent.length + 1;
      if (firstOffset !== expected) return give(`stream bytes from offset ${firstOffset} came where ${expected} was expected (a bug: the copy stops)`);
      unsent.push(part);
      checkHold();
    },
    commit(at) {
      if (!started) {
        if (at.db === null) {
          // before a SELECT the db of the stream is not known: the copy cannot start in the right one yet
          if (!waitingSaid) opts.log(`--to: waiting for the master's next SELECT to start the copy (the db its stream is in at offset ${at.offset} is not known)`);
          waitingSaid = true;
          unsent.shift(at.offset - sent);
          ackBase = sent = committed = at.offset;
          return;
        }
        unsent.shift(at.offset - sent);
        ackBase = sent = committed = at.offset;
        started = true;
        startDb = at.db;
        replid = at.replid;
        histories.add(replid);
        void startReplication();
        return;
      }
      replid = at.replid;
      committed = at.offset;
      flush();
    },
    linkLost() {
      unsent.truncate(committed - sent); // the next link sends the rest of a cut command again
    },
    historyChanged(newReplid) {
      replid = newReplid;
      histories.add(newReplid);
      // a replica learns a new replid only from a PSYNC answer: it asks again once this link is gone
      replica?.destroy();
    },
    async close() {
      const deadline = Date.now() + FINAL_ACK_WAIT_MS;
      while (streaming && ackBase < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      (replica as net.Socket | null)?.destroy();
      server.close();
      dropHandshakes();
      closeAdmin();
      return synced ? { replid, offset: ackBase, db: null } : null;
    },
  };

  const startReplication = async (): Promise<void> => {
    listening ??= new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, ourHost, resolve));
    try {
      await listening;
      const port = (server.address() as net.AddressInfo).port;
      opts.log(`--to: serving the copy on ${ourHost}:${port}: REPLICAOF sent to ${where}`);
      await command('REPLICAOF', ourHost, String(port));
    } catch (err) {
      give(err instanceof Error ? err.message : String(err));
    }
  };
  if (resumeAt) void startReplication();

  const checkHold = (): void => {
    const hold = unacked.length + unsent.length > MAX_UNACKED_BYTES || (replica?.writableNeedDrain ?? false);
    if (hold === held) return;
    held = hold;
    copy.onHold(held);
  };

  const flush = (): void => {
    if (!replica || !streaming || committed <= sent) return;
    for (const chunk of unsent.shift(committed - sent)) {
      replica.write(chunk);
      unacked.push(chunk);
    }
    sent = committed;
    checkHold();
  };

  const serve = (socket: net.Socket): void => {
    socket.on('drain', checkHold);
    socket.on('close', () => {
      if (replica !== socket) return;
      replica = null;
      streaming = false;
    });
    readReplicaRequests(socket, true, {
      ack(offset) {
        if (!Number.isSafeInteger(offset) || offset <= ackBase || offset > sent) return;
        unacked.shift(offset - ackBase);
        ackBase = offset;
        checkHold();
      },
      sync(askedReplid, askedOffset) {
        const from = askedOffset === null ? null : askedOffset - 1;
        if (synced && askedReplid !== null && histories.has(askedReplid) && from !== null && from >= ackBase && from <= sent) {
          // what it lacks is still here: it goes again
          unsent.unshift(unacked.shift(sent - ackBase)); // all of (ackBase, sent] back...
          unsent.shift(from - ackBase); // ...minus what it holds
          ackBase = sent = from;
          socket.write(`+CONTINUE ${replid}\r\n`);
        } else if (!synced) {
          socket.write(`+FULLRESYNC ${replid} ${sent}\r\n`);
          const rdb = emptyRdb(startDb);
          socket.write(`$${rdb.length}\r\n`);
          socket.write(rdb);
          synced = true;
          opts.log(`--to: ${where} starts the copy of ${replid} at offset ${sent} (db ${startDb}) from an empty dataset`);
        } else {
          socket.destroy();
          give(`it asked to continue ${askedReplid ?? '(SYNC)'} at offset ${askedOffset}, but this copy holds ${ackBase}..${committed} of ${replid}: it cannot be continued from here`);
          return;
        }
        streaming = true;
        flush();
      },
      fail: (err) => give(err.message),
    });
  };
  return copy;
}
