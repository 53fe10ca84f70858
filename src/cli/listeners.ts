// Which listener fronts which master: `--upstream A --listen 7001 --upstream B --listen 7002` (paired in order), or
// `--upstream A=7001` (the listener written with its master). Pure.
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort, maskUrl, parseHostPort, parseUpstream, type HostPort, type Upstream } from '../core/host-port.js';

export interface Listener {
  listen: HostPort;
  upstream: Upstream;
  /** the master as events name it: host:port, never the URL (it may hold a password) */
  master: string;
}

const EXAMPLE = 'e.g. --upstream 10.0.0.5:6379 --listen 7001 --upstream 10.0.0.6:6379 --listen 7002, or --upstream 10.0.0.5:6379=7001';

export function pairListeners(upstreams: string[], listens: string[]): Listener[] {
  if (upstreams.length === 0 || (listens.length === 0 && !upstreams.some((u) => splitListener(u).listen !== null))) {
    throw usage('both --listen and --upstream are required');
  }
  const written = upstreams.map(splitListener);
  const unpaired = written.filter((w) => w.listen === null).length;
  if (unpaired !== listens.length) {
    const what = unpaired === upstreams.length ? `${upstreams.length} --upstream` : `${unpaired} --upstream without "=listenport"`;
    throw usage(`${what} but ${listens.length} --listen: each master needs its own listener`);
  }
  let next = 0;
  const out = written.map(({ upstream, listen }) => {
    const up = parseUpstream(upstream);
    return { listen: parseHostPort(listen ?? listens[next++]!, '127.0.0.1'), upstream: up, master: formatHostPort(up.host, up.port) };
  });
  // port 0 is any free port: it may be given for several
  const byPort = new Map<number, Listener>();
  for (const l of out) {
    const other = byPort.get(l.listen.port);
    if (other) throw usage(`listen port ${l.listen.port} is given twice (for ${other.master} and ${l.master}): each master needs a listener of its own`);
    if (l.listen.port !== 0) byPort.set(l.listen.port, l);
  }
  return out;
}

/** `host:port=listen` → its parts; a `=` inside a URL's credentials is not a listener. */
function splitListener(text: string): { upstream: string; listen: string | null } {
  const eq = text.lastIndexOf('=');
  if (eq < 0 || eq < text.lastIndexOf('@')) return { upstream: text, listen: null };
  const listen = text.slice(eq + 1);
  if (listen.trim() === '') throw usage(`--upstream ${maskUrl(text.slice(0, eq))}=: the listen port after "=" is missing`);
  return { upstream: text.slice(0, eq), listen };
}

function usage(message: string): ReplSpyError {
  return new ReplSpyError('RSPY_BAD_ARGS', message, { hint: EXAMPLE });
}
