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
    if (defaultHost === undefined) throw bad('the host is missing');
    host = defaultHost;
  }
  if (!/^\d+$/.test(portText)) throw bad(portText === '' ? 'the port is missing' : `"${portText}" is not a port number`);
  const port = Number(portText);
  if (port > 65535) throw bad(`port ${port} is out of range (0-65535)`);
  return { host, port };
}

/** `host:port`, with brackets around an IPv6 host, as printed in events and messages. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
