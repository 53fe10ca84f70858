// `[host:]port` and `host:port` arguments (`--listen`, `--upstream`). IPv6 hosts go in brackets: `[::1]:6379`.
import { ReplSpyError } from './errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `port`, `host:port` or `[v6]:port`. Without `defaultHost` the host is required. Port 0 is accepted
 *  (listen on any free port). Throws ReplSpyError RSPY_BAD_ARGS with the offending text. */
export function parseHostPort(text: string, defaultHost?: string): HostPort {
  const input = text.trim();
  const expected = defaultHost === undefined ? 'host:port' : '[host:]port';
  const bad = (why: string): ReplSpyError =>
    new ReplSpyError('RSPY_BAD_ARGS', `bad address "${text}": ${why}`, {
      hint: `expected ${expected}, e.g. ${defaultHost === undefined ? '127.0.0.1:6379' : '6380 or 0.0.0.0:6380'}`,
    });

  let host: string | undefined;
  let portText: string;
  if (input === '') throw bad('it is empty');
  if (input.startsWith('[')) {
    const close = input.indexOf(']');
    if (close < 0) throw bad('missing "]" after the IPv6 address');
    host = input.slice(1, close);
    if (input[close + 1] !== ':') throw bad('missing ":port" after "]"');
    portText = input.slice(close + 2);
  } else {
    const colon = input.lastIndexOf(':');
    if (colon >= 0 && input.indexOf(':') !== colon) throw bad('an IPv6 address must be in brackets, e.g. [::1]:6379');
    if (colon >= 0) {
      host = input.slice(0, colon);
      portText = input.slice(colon + 1);
    } else {
      portText = input;
    }
  }

  if (host === '') host = undefined;
  if (host === undefined) {
    // "127.0.0.1" or "localhost" alone names a host: what is missing is the port
    if (defaultHost === undefined) throw bad(/^\d+$/.test(portText) ? 'the host is missing' : `the port is missing (e.g. ${portText}:6379)`);
    host = defaultHost;
  }
  if (!/^\d+$/.test(portText)) throw bad(portText === '' ? 'the port is missing' : `"${portText}" is not a port number`);
  const port = Number(portText);
  if (port > 65535) throw bad(`port ${port} is out of range (0-65535)`);
  return { host, port };
}

/** The master, with the credentials of a `redis://` URL (for the proxy's own side connection, never forwarded). */
export interface Upstream extends HostPort {
  user?: string;
  password?: string;
}

/** `host:port`, or a URL as redis-cli takes it: `redis://[[user]:password@]host[:port]` (port 6379 by default). */
export function parseUpstream(text: string): Upstream {
  const input = text.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return parseHostPort(input);
  const bad = (why: string): ReplSpyError =>
    new ReplSpyError('RSPY_BAD_ARGS', `bad URL "${maskUrl(input)}": ${why}`, { hint: 'expected redis://[user:password@]host:port' });
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw bad('it is not a URL');
  }
  if (url.protocol !== 'redis:') throw bad(`the scheme must be redis://, not ${url.protocol}//`);
  if (url.hostname === '') throw bad('the host is missing');
  const port = url.port === '' ? 6379 : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const out: Upstream = { host, port };
  if (url.username !== '') out.user = decodeURIComponent(url.username);
  if (url.password !== '') out.password = decodeURIComponent(url.password);
  return out;
}

/** A URL as it may be shown: its password replaced by `***`. */
export function maskUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** `host:port`, with brackets around an IPv6 host, as printed in events and messages. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
