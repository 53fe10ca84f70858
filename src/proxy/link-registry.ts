// One process may run several proxies (the lab: one in front of every server, so replicas can be re-pointed at a
// promoted replica and stay observed; the proxy command: one listener per --upstream).
// Each proxy numbers its links from 1; this gives them one id space for the shared event stream and
// finds the live ProxyLink behind an id for the fault controls.
import type { WireLinkEvent, WireLinkSink } from '../core/events.js';
import { formatHostPort } from '../core/host-port.js';
import type { ProxyLink } from './link.js';
import type { Proxy } from './proxy.js';

interface Place {
  front: number;
  local: number;
}

export class LinkRegistry {
  private nextId = 1;
  private idOf = new Map<string, number>();
  private placeOf = new Map<number, Place>();
  private proxies: (Proxy | undefined)[] = [];

  /** A wire sink for the proxy in front of server `front`: renumbers its links, then passes events on. */
  sinkFor(front: number, downstream: WireLinkSink): WireLinkSink {
    return (e: WireLinkEvent) => {
      const key = `${front}:${e.link}`;
      let id = this.idOf.get(key);
      if (id === undefined) {
        id = this.nextId++;
        this.idOf.set(key, id);
        this.placeOf.set(id, { front, local: e.link });
      }
      // a link's open names every listener: whether a replica announces one of them is a fact of the capture
      downstream(e.kind === 'open' ? { ...e, link: id, listeners: this.listeners() } : { ...e, link: id });
      if (e.kind === 'close') {
        this.idOf.delete(key);
        this.placeOf.delete(id);
      }
    };
  }

  private listeners(): string[] {
    return this.proxies.filter((p): p is Proxy => p !== undefined).map((p) => formatHostPort(p.address().host, p.address().port));
  }

  setProxy(front: number, proxy: Proxy): void {
    this.proxies[front] = proxy;
  }

  /** The live link with this id, if any. */
  link(id: number): ProxyLink | undefined {
    const place = this.placeOf.get(id);
    return place ? this.proxies[place.front]?.links.get(place.local) : undefined;
  }

  /** Index of the server the link goes to. */
  frontOf(id: number): number | undefined {
    return this.placeOf.get(id)?.front;
  }

  liveIds(): number[] {
    return [...this.placeOf.keys()].filter((id) => this.link(id) !== undefined);
  }

  /** True once the id was given out (the link may be closed since). */
  issued(id: number): boolean {
    return id < this.nextId;
  }
}
