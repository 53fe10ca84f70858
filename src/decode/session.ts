// Facts that span links: the two connections of one replica (Redis 8 rdb channel, Valkey dual channel), and
// replicas that receive one snapshot (same +FULLRESYNC replid and offset while one BGSAVE runs). Pure.

import type { ReplEvent, ReplSink } from '../core/events.js';
import type { LinkFact } from './link-decoder.js';

interface SnapshotGroup {
  id: number;
  replid: string;
  offset: number;
  links: number[];
  /** diskless: the EOF mark of the fork (all replicas of one fork get the same random mark) */
  mark: string | null;
}

export class Session {
  private redisMainByClientId = new Map<string, number>(); // +RDBCHANNELSYNC <id> → main link
  private redisRdbByClientId = new Map<string, number>(); // main-ch-client-id <id> seen before +RDBCHANNELSYNC <id>
  private fullresyncOffset = new Map<number, number>(); // link → offset of its +FULLRESYNC
  private valkeyRdbByClientId = new Map<string, number>(); // $ENDOFF ... <id> → rdb link
  private valkeyMainByClientId = new Map<string, number>(); // set-rdb-client-id <id> seen before $ENDOFF
  private mainOf = new Map<number, number>(); // rdb link → main link, both flavors
  private openSnapshots = new Map<string, SnapshotGroup>(); // replid:offset → links, until one transfer ends
  private snapshotOf = new Map<number, string>();
  private nextSnapshotId = 1;

  constructor(
    private readonly emit: ReplSink,
    /** facts for the decoder of another link */
    private readonly tell: (fact: LinkFact) => void,
  ) {}

  observe(e: ReplEvent): void {
    switch (e.type) {
      case 'rdb-channel-sync':
        if (e.flavor === 'redis-rdb-channel' && e.clientId) {
          this.redisMainByClientId.set(e.clientId, e.link);
          const rdb = this.redisRdbByClientId.get(e.clientId);
          if (rdb !== undefined) this.pairRedis(e.link, rdb, e.at);
        }
        return;
      case 'replica-command':
        return this.onReplicaCommand(e.link, e.at, e.argv);
      case 'endoff': {
        this.valkeyRdbByClientId.set(e.clientId, e.link);
        const main = this.valkeyMainByClientId.get(e.clientId);
        if (main !== undefined) this.pairValkey(main, e.link, e.at);
        return;
      }
      case 'fullresync': {
        this.fullresyncOffset.set(e.link, e.offset);
        // Only a Redis 8 RDB channel gets a +FULLRESYNC (a Valkey one gets $ENDOFF): its main channel's base.
        const main = this.mainOf.get(e.link);
        if (main !== undefined) this.tell({ fact: 'stream-base', link: main, offset: e.offset });
        return this.joinSnapshot(e.link, e.at, e.replid, e.offset);
      }
      case 'rdb-start':
        // A disk RDB is sent only once its BGSAVE is over: a later +FULLRESYNC with the same replid and offset
        // (an idle master) belongs to a new BGSAVE. Diskless members get theirs at the fork, but a member's
        // +FULLRESYNC may be read after another's `$EOF:` line, so those groups close at rdb-end.
        if (e.mark === undefined) this.closeSnapshot(e.link);
        else this.checkFork(e.link, e.at, e.mark);
        return;
      case 'rdb-end': {
        const main = this.mainOf.get(e.link);
        if (main !== undefined) this.tell({ fact: 'rdb-end', link: main, at: e.at });
        this.closeSnapshot(e.link);
        return;
      }
      case 'link-close':
        this.snapshotOf.delete(e.link);
        this.fullresyncOffset.delete(e.link);
        return;
      default:
        return;
    }
  }

  private onReplicaCommand(link: number, at: number, argv: string[]): void {
    if (argv[0]?.toUpperCase() !== 'REPLCONF') return;
    for (let i = 1; i + 1 < argv.length; i += 2) {
      const opt = argv[i].toLowerCase();
      if (opt === 'main-ch-client-id') {
        const main = this.redisMainByClientId.get(argv[i + 1]);
        if (main !== undefined) this.pairRedis(main, link, at);
        else this.redisRdbByClientId.set(argv[i + 1], link);
      } else if (opt === 'set-rdb-client-id') {
        const rdb = this.valkeyRdbByClientId.get(argv[i + 1]);
        if (rdb !== undefined) this.pairValkey(link, rdb, at);
        else this.valkeyMainByClientId.set(argv[i + 1], link);
      }
    }
  }

  private pairValkey(main: number, rdb: number, at: number): void {
    this.mainOf.set(rdb, main);
    this.emit({ type: 'link-pair', at, link: main, mainLink: main, rdbLink: rdb, flavor: 'valkey-dual-channel' });
  }

  private pairRedis(main: number, rdb: number, at: number): void {
    this.mainOf.set(rdb, main);
    this.emit({ type: 'link-pair', at, link: main, mainLink: main, rdbLink: rdb, flavor: 'redis-rdb-channel' });
    const offset = this.fullresyncOffset.get(rdb);
    if (offset !== undefined) this.tell({ fact: 'stream-base', link: main, offset });
  }

  /** The snapshot `link` got is over: no other link can join it any more. All its members leave it, so that a
   *  member's later rdb-start or rdb-end cannot close a new group with the same replid and offset. */
  private closeSnapshot(link: number): void {
    const key = this.snapshotOf.get(link);
    if (key === undefined) return;
    for (const member of this.openSnapshots.get(key)?.links ?? [link]) this.snapshotOf.delete(member);
    this.openSnapshots.delete(key);
  }

  private joinSnapshot(link: number, at: number, replid: string, offset: number, key = `${replid}:${offset}`, mark: string | null = null): void {
    let group = this.openSnapshots.get(key);
    if (!group) {
      group = { id: this.nextSnapshotId++, replid, offset, links: [], mark };
      this.openSnapshots.set(key, group);
    }
    group.links.push(link);
    this.snapshotOf.set(link, key);
    if (group.links.length > 1) this.emitGroup(group, at);
  }

  /** Diskless: replicas of one fork get the same random EOF mark. A member whose mark differs got another fork
   *  (an idle master repeats replid and offset): it leaves the group, whose corrected membership is sent again. */
  private checkFork(link: number, at: number, mark: string): void {
    const key = this.snapshotOf.get(link);
    const group = key === undefined ? undefined : this.openSnapshots.get(key);
    if (!group || group.mark === mark) return;
    if (group.mark === null) {
      group.mark = mark;
      return;
    }
    group.links = group.links.filter((l) => l !== link);
    this.emitGroup(group, at);
    this.joinSnapshot(link, at, group.replid, group.offset, `${key}:${mark}`, mark);
  }

  private emitGroup(g: SnapshotGroup, at: number): void {
    this.emit({ type: 'shared-snapshot', at, link: g.links[0], snapshot: g.id, links: [...g.links], replid: g.replid, offset: g.offset });
  }
}
