// The address a replica is known by to its master, read off its handshake: `REPLCONF ip-address` (what
// replica-announce-ip sends), else the address the master sees the connection come from, which through a proxy is
// the proxy's; and the `REPLCONF listening-port` (replica-announce-port, else its own port). Sentinel reads that
// address from the master's INFO and connects to it, so when it is not one of repl-spy's listeners, Sentinel
// reaches the replica directly, and after a failover the promoted replica's traffic bypasses repl-spy. Pure.
import type { ReplEvent, ReplSink, ReplicaAddressEvent } from '../../core/events.js';
import { announcedIp, announcedPort, hostOf } from './listening-port.js';

interface Handshake {
  listeners: string[] | null;
  replica: string;
  via: string | null;
  ip: string | null;
  port: string | null;
  told: boolean;
}

const ANY_HOST = new Set(['0.0.0.0', '::', '[::]']);

export class ReplicaAddressCheck {
  private links = new Map<number, Handshake>();
  private listeners = new Map<number, string[] | null>();

  /** repl-spy's listeners when the link opened, from its wire open (null: not known). */
  listenersOf(link: number, listeners: string[] | null): void {
    this.listeners.set(link, listeners);
  }

  observe(e: ReplEvent, emit: ReplSink): void {
    switch (e.type) {
      case 'link-open':
        this.links.set(e.link, { listeners: this.listeners.get(e.link) ?? null, replica: e.replica, via: e.via ?? null, ip: null, port: null, told: false });
        return;
      case 'replica-command': {
        const h = this.links.get(e.link);
        if (!h) return;
        h.port = announcedPort(e.argv) ?? h.port;
        h.ip = announcedIp(e.argv) ?? h.ip;
        return;
      }
      case 'psync': {
        const h = this.links.get(e.link);
        if (!h || h.told || h.via === null) return; // no proxy in between (a packet capture): nothing to say
        h.told = true;
        emit(this.verdict(e.link, e.at, h));
        return;
      }
      case 'link-close':
        this.links.delete(e.link);
        this.listeners.delete(e.link);
        return;
      default:
        return;
    }
  }

  private verdict(link: number, at: number, h: Handshake): ReplicaAddressEvent {
    const ip = h.ip ?? hostOf(h.via!);
    const port = h.port ?? portOf(h.replica);
    const seenAs = `${ip}:${port}`;
    const throughProxy = h.listeners === null ? null : h.listeners.some((l) => sameAddress(l, ip, port));
    const out: ReplicaAddressEvent = { type: 'replica-address', at, link, seenAs, announcedIp: h.ip !== null, throughProxy };
    const replicaIp = hostOf(h.replica);
    if (h.ip === null && ip !== replicaIp) {
      out.warning = `the master sees this replica (${h.replica}) at repl-spy's address ${ip}, so Sentinel and INFO name it ${seenAs}, an address that is not the replica's: set replica-announce-ip and replica-announce-port on the replica (to its own listener of repl-spy, to keep Sentinel's traffic observed)`;
    } else if (throughProxy === false) {
      out.warning = `the master knows this replica as ${seenAs}, which is not a listener of repl-spy: Sentinel reaches it there directly, and after a failover that promotes it its replicas bypass repl-spy; announce its own listener with replica-announce-ip/replica-announce-port`;
    }
    return out;
  }
}

function portOf(address: string): string {
  return address.slice(address.lastIndexOf(':') + 1);
}

function sameAddress(listener: string, ip: string, port: string): boolean {
  if (portOf(listener) !== port) return false;
  const host = hostOf(listener);
  return host === ip || ANY_HOST.has(host);
}
