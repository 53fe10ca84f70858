// The lab's server faults with Sentinel: `failover=kill|sentinel|stop` on the current master, `revive` to bring a
// killed or stopped server back (it rejoins as a replica: Sentinel re-points it). A failover is refused until every
// Sentinel knows the master, its replicas and the other Sentinels (else it could not complete).
import type { FailoverHow, ServerFault } from '../core/fault-action.js';
import type { FailoverStory } from './failover-story.js';
import type { Lab, LabServer } from './lab.js';
import { FAILOVER_DEADLINE_MS } from './failover-story.js';

const READY_POLL_MS = 500;

export class LabFailover {
  private problem: string | null = 'the Sentinels have not started yet';
  private stopped = new Set<LabServer>();
  private timers = new Set<NodeJS.Timeout>();
  private poll: NodeJS.Timeout | null = null;

  constructor(
    private readonly lab: Lab,
    private readonly story: FailoverStory,
    private readonly now: () => number,
    private readonly warn: (message: string) => void,
    private readonly onReady: (text: string) => void,
  ) {}

  /** Polls the Sentinels until they know everything a failover needs (and keeps polling: a failover changes it). */
  watch(): void {
    let told = false;
    const check = async (): Promise<void> => {
      const expected = this.lab.replicas.length;
      const views = await Promise.all(this.lab.sentinels.map((s) => s.view().catch((err: Error) => ({ error: `${s.name}: ${err.message}` }))));
      const problems = views.flatMap((v, i) => {
        if ('error' in v) return [v.error];
        const name = this.lab.sentinels[i]!.name;
        if (v.replicas < expected) return [`${name} knows ${v.replicas} of ${expected} replicas`];
        if (v.sentinels < this.lab.sentinels.length - 1) return [`${name} knows ${v.sentinels} of the ${this.lab.sentinels.length - 1} other Sentinels`];
        return v.flags === 'master' ? [] : [`${name} sees the master as ${v.flags}`];
      });
      this.problem = problems.length > 0 ? problems.join('; ') : null;
      if (this.problem === null && !told) {
        told = true;
        this.onReady(`${this.lab.sentinels.length} Sentinels know the master, its ${expected} replicas and each other: failover=kill|sentinel|stop is possible`);
      }
    };
    const loop = (): void => {
      this.poll = setTimeout(() => void check().finally(() => this.poll && loop()), READY_POLL_MS);
    };
    loop();
  }

  /** What the lab's status tells of the Sentinels. */
  status(): { ready: boolean; problem: string | null; sentinels: { name: string; port: number; pid: number; log: string }[] } {
    return { ready: this.problem === null, problem: this.problem, sentinels: this.lab.sentinels.map((s) => ({ name: s.name, port: s.port, pid: s.pid, log: s.logFile })) };
  }

  apply(action: ServerFault): string {
    if (action.kind === 'revive') return this.revive();
    if (action.kind !== 'failover') throw new Error(`${action.kind} is a fault of the cluster lab (--cluster N)`);
    if (this.problem !== null) throw new Error(`failover=${action.how}: the Sentinels are not ready (${this.problem}); try again in a moment`);
    const master = this.serverAt(this.story.currentMaster.name);
    return this.failover(action.how, master);
  }

  /** Sentinel replaced the master (`+switch-master`): a stopped one may wake, as a replica to be. */
  switched(): void {
    for (const s of this.stopped) this.resume(s);
  }

  stop(): void {
    if (this.poll) clearTimeout(this.poll);
    this.poll = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private failover(how: FailoverHow, master: LabServer): string {
    this.story.started(how, this.now());
    switch (how) {
      case 'kill':
        master.process.signal('SIGKILL');
        return `failover=kill: SIGKILL ${master.name} (pid ${master.process.pid}); revive restarts it`;
      case 'stop': {
        master.process.signal('SIGSTOP');
        this.stopped.add(master);
        // resumed once Sentinel replaced it, or at the latest when the failover would be told stuck
        const timer = setTimeout(() => this.resume(master), FAILOVER_DEADLINE_MS);
        this.timers.add(timer);
        return `failover=stop: SIGSTOP ${master.name} (pid ${master.process.pid}) until Sentinel has replaced it`;
      }
      case 'sentinel': {
        const sentinel = this.lab.sentinels[0]!;
        sentinel.failover().catch((err: Error) => this.warn(`failover=sentinel: ${sentinel.name} refused SENTINEL FAILOVER: ${err.message}`));
        return `failover=sentinel: SENTINEL FAILOVER sent to ${sentinel.name}`;
      }
    }
  }

  private revive(): string {
    const back: string[] = [];
    for (const s of [this.lab.master, ...this.lab.replicas]) {
      if (this.stopped.has(s)) {
        this.resume(s);
        back.push(`${s.name} (SIGCONT)`);
      } else if (s.process.exited) {
        s.process
          .restart()
          .then(() => this.lab.announce(s))
          .catch((err: Error) => this.warn(`revive: ${s.name} did not start again: ${err.message}`));
        back.push(`${s.name} (restarted)`);
      }
    }
    return back.length > 0 ? `revive: ${back.join(', ')}` : 'revive: every server is running';
  }

  private resume(s: LabServer): void {
    if (!this.stopped.delete(s)) return;
    s.process.signal('SIGCONT');
  }

  private serverAt(name: string): LabServer {
    return [this.lab.master, ...this.lab.replicas].find((s) => s.name === name)!;
  }
}
