// The story of a failover, told as `failover` events from what repl-spy sees: the lab's failover fault (the
// master's death), the master's links closing, what the Sentinels say on their pub/sub, the promoted replica's
// role in its INFO (REPLICAOF NO ONE took effect), the other replicas' PSYNC to the new master through its proxy
// and the answer (+CONTINUE with the new replid, or a full resync and why), the old master back as a replica,
// and the time from the master's death to every replica streaming again. Pure: events and times in, events out.
import type { FailoverEvent, FailoverStep, ReplEvent } from '../core/events.js';
import type { FailoverHow } from '../core/fault-action.js';
import { announcedPort } from '../decode/analysis/listening-port.js';

/** A failover that has not brought every replica back to streaming after this long is told as stuck (default). */
export const FAILOVER_DEADLINE_MS = 60_000;

export interface StoryServer {
  name: string;
  /** "host:port" the proxy dials: the `master` of its links */
  address: string;
  /** "host:port" of its proxy listener: how Sentinel and the servers' INFO name it */
  front: string;
}

interface LinkFacts {
  /** the server the link goes to */
  upstream: StoryServer | undefined;
  /** the server on the replica side, once it announced its port */
  replica: StoryServer | undefined;
  outcome: 'continue' | 'fullresync' | null;
}

export class FailoverStory {
  private master: StoryServer;
  private deathAt: number | null = null;
  private oldMaster: StoryServer | null = null;
  private newMaster: StoryServer | null = null;
  private waiting = new Set<StoryServer>();
  private streaming = new Set<StoryServer>();
  private done = false;
  private unreachableTold = false;
  private links = new Map<number, LinkFacts>();
  private roles = new Map<string, string>();
  private said = new Set<string>();
  private since = "the master's death";

  constructor(
    private readonly servers: StoryServer[],
    private readonly emit: (e: FailoverEvent) => void,
    private readonly deadlineMs = FAILOVER_DEADLINE_MS,
  ) {
    this.master = servers[0]!;
  }

  /** The server that is the master as far as the story knows. */
  get currentMaster(): StoryServer {
    return this.master;
  }

  /** The lab's failover fault, at `at`: the master dies (or, with `sentinel`, is told to step down) now. */
  started(how: FailoverHow, at: number): void {
    const what = { kill: 'SIGKILL', stop: 'SIGSTOP', sentinel: 'SENTINEL FAILOVER' }[how];
    this.startedBy(`${what} ${this.master.name} (${this.master.front})${how === 'sentinel' ? ': Sentinel fails it over while it runs' : ''}`, at, { masterRuns: how === 'sentinel', waitForOldMaster: false });
  }

  /** A failover the lab started, told as `detail` (the cluster lab's too). `masterRuns`: the old master is not
   *  dead (its links closing tell nothing); `waitForOldMaster`: it is to stream again too, as a replica (a cluster
   *  failover on a replica, where nobody else re-points it). */
  startedBy(detail: string, at: number, opts: { masterRuns: boolean; waitForOldMaster: boolean }): void {
    this.deathAt = at;
    this.oldMaster = this.master;
    this.newMaster = null;
    this.done = false;
    this.unreachableTold = opts.masterRuns;
    this.since = opts.masterRuns ? 'the failover began' : "the master's death";
    this.said.clear();
    this.streaming.clear();
    this.waiting = new Set(this.servers.filter((s) => s !== this.master || opts.waitForOldMaster));
    this.tell('started', at, 0, detail, { server: this.master.front });
  }

  observe(e: ReplEvent): void {
    switch (e.type) {
      case 'link-open':
        this.links.set(e.link, { upstream: this.servers.find((s) => s.address === e.master), replica: undefined, outcome: null });
        return;
      case 'replica-command': {
        const l = this.links.get(e.link);
        const port = announcedPort(e.argv);
        // a replica announces its proxy (the Sentinel lab) or its own port (the cluster lab)
        if (l && port) l.replica = this.servers.find((s) => s.front.endsWith(`:${port}`) || s.address.endsWith(`:${port}`));
        return;
      }
      case 'psync':
        return this.onPsync(e.link, e.at, e.replid, e.offset);
      case 'continue':
      case 'fullresync':
        return this.onAnswer(e);
      case 'rdb-end': {
        const l = this.links.get(e.link);
        if (l?.outcome === 'fullresync') this.streamingAgain(l, e.at);
        return;
      }
      case 'link-close': {
        const l = this.links.get(e.link);
        this.links.delete(e.link);
        if (this.deathAt === null || this.unreachableTold || e.by !== 'master' || l?.upstream !== this.oldMaster) return;
        this.unreachableTold = true;
        this.tell('master-unreachable', e.at, e.link, `${this.oldMaster!.name} is gone: ${l?.replica?.name ?? `link #${e.link}`} closed by the master (${e.reason})`, { server: this.oldMaster!.front });
        return;
      }
      default:
        return;
    }
  }

  /** A Sentinel's pub/sub message (`+sdown master lab 127.0.0.1 7001`...). */
  sentinel(sentinel: string, channel: string, message: string, at: number): void {
    const key = `${channel} ${message}`;
    if (this.said.has(key)) return; // every Sentinel says most things: once is the story
    this.said.add(key);
    if (channel === '+sdown' && message.startsWith('master ') && this.deathAt !== null && !this.unreachableTold) this.unreachableTold = true;
    if (channel === '+switch-master') {
      const [, , , newHost, newPort] = message.split(' ');
      const promoted = this.servers.find((s) => s.front === `${newHost}:${newPort}`);
      if (promoted) this.promote(promoted, at);
    }
    this.tell('sentinel', at, 0, `${sentinel} ${channel} ${message}`, { sentinel, channel, message });
  }

  /** A server's INFO replication: a replica whose role turned master took its REPLICAOF NO ONE. */
  serverInfo(address: string, text: string, at: number): void {
    const role = /^role:(\w+)/m.exec(text)?.[1];
    if (!role) return;
    const before = this.roles.get(address);
    this.roles.set(address, role);
    const server = this.servers.find((s) => s.address === address);
    if (!server || before !== 'slave' || role !== 'master') return;
    const replid = /^master_replid:(\w+)/m.exec(text)?.[1] ?? '?';
    const replid2 = /^master_replid2:(\w+)/m.exec(text)?.[1] ?? '?';
    this.tell('promoted', at, 0, `${server.name} (${server.front}) is a master now (role:master in its INFO): new replid ${replid}, the old one kept as replid2 ${replid2}`, { server: server.front, replid });
    this.promote(server, at);
  }

  /** The clock: a failover not done in time is told once. */
  tick(at: number): void {
    if (this.deathAt === null || this.done || at - this.deathAt < this.deadlineMs) return;
    this.done = true;
    const missing = [...this.waiting].filter((s) => !this.streaming.has(s)).map((s) => s.name);
    const where = this.newMaster ? `new master ${this.newMaster.name}` : 'no new master yet';
    this.tell('timeout', at, 0, `the failover did not complete within ${this.deadlineMs / 1000} s (${where}; not streaming: ${missing.join(', ') || 'none'})`);
  }

  private promote(server: StoryServer, at: number): void {
    if (this.newMaster === server) return;
    this.newMaster = server;
    this.master = server;
    this.waiting.delete(server);
    // no replica left to wait for (one replica, its master killed): the promotion is the recovery
    if (this.deathAt !== null && !this.done && this.waiting.size === 0) this.finish(at);
  }

  private onPsync(link: number, at: number, replid: string, offset: number): void {
    const l = this.links.get(link);
    if (this.deathAt === null || !l?.upstream || l.upstream === this.oldMaster) return;
    if (!this.newMaster) this.promote(l.upstream, at); // a PSYNC to another server: that is the one promoted
    const who = l.replica?.name ?? `link #${link}`;
    const back = l.replica !== undefined && l.replica === this.oldMaster;
    const step: FailoverStep = back ? 'old-master-back' : 'psync';
    const asked = replid === '?' ? 'PSYNC ? -1' : `PSYNC ${replid} ${offset}`;
    this.tell(step, at, link, `${who}${back ? ', the old master, back as a replica:' : ''} ${asked} to ${l.upstream.name} through ${l.upstream.front}`, { server: l.upstream.front, replid, offset });
  }

  private onAnswer(e: Extract<ReplEvent, { type: 'continue' | 'fullresync' }>): void {
    const l = this.links.get(e.link);
    if (this.deathAt === null || !l?.upstream || l.upstream === this.oldMaster) return;
    l.outcome = e.type;
    const who = l.replica?.name ?? `link #${e.link}`;
    const answer = e.type === 'continue' ? `+CONTINUE${e.replid ? ` ${e.replid}` : ''}: partial resync` : `+FULLRESYNC ${e.replid} ${e.offset}: full resync`;
    this.tell('resync', e.at, e.link, `${l.upstream.name} answers ${who}: ${answer}${e.reason ? ` (${e.reason})` : ''}`, {
      server: l.upstream.front,
      replid: e.replid,
      offset: e.offset,
      outcome: e.type,
      ...(e.reason ? { reason: e.reason } : {}),
    });
    if (e.type === 'continue') this.streamingAgain(l, e.at);
  }

  private streamingAgain(l: LinkFacts, at: number): void {
    if (!l.replica || this.done) return;
    this.streaming.add(l.replica);
    if (![...this.waiting].every((s) => this.streaming.has(s))) return;
    this.finish(at);
  }

  private finish(at: number): void {
    this.done = true;
    const recoveryMs = at - this.deathAt!;
    const who = this.waiting.size > 0 ? 'every replica streams' : 'no replica to wait for: the shard is served';
    this.tell('streaming', at, 0, `${who} from ${this.newMaster?.name ?? '?'} again: ${Math.round(recoveryMs)} ms after ${this.since}`, { recoveryMs });
  }

  private tell(step: FailoverStep, at: number, link: number, detail: string, extra: Partial<FailoverEvent> = {}): void {
    const sinceMs = this.deathAt === null ? null : Math.max(0, at - this.deathAt);
    this.emit({ type: 'failover', at, link, step, detail, sinceMs, ...extra });
  }
}
