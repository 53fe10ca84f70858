import { describe, expect, it } from 'vitest';
import { ReplSpyError } from '../../../src/core/errors.js';
import { formatHostPort, maskUrl, parseHostPort, parseUpstream } from '../../../src/core/host-port.js';

describe('parseHostPort', () => {
  it.each([
    ['6380', '127.0.0.1', { host: '127.0.0.1', port: 6380 }],
    ['0.0.0.0:6380', '127.0.0.1', { host: '0.0.0.0', port: 6380 }],
    [':6380', '127.0.0.1', { host: '127.0.0.1', port: 6380 }],
    ['redis.local:6379', undefined, { host: 'redis.local', port: 6379 }],
    ['[::1]:6379', undefined, { host: '::1', port: 6379 }],
    [' 10.0.0.5:0 ', undefined, { host: '10.0.0.5', port: 0 }],
  ])('%s (default host %s)', (text, defaultHost, expected) => {
    expect(parseHostPort(text, defaultHost)).toEqual(expected);
  });

  it.each([
    ['', undefined, /it is empty/],
    ['6379', undefined, /host is missing/],
    ['127.0.0.1', undefined, /the port is missing \(e\.g\. 127\.0\.0\.1:6379\)/],
    ['localhost', undefined, /the port is missing/],
    ['localhost:', undefined, /port is missing/],
    ['localhost:redis', undefined, /"redis" is not a port number/],
    ['localhost:70000', undefined, /out of range/],
    ['localhost:-1', undefined, /not a port number/],
    ['::1:6379', undefined, /IPv6 address must be in brackets/],
    ['[::1', undefined, /missing "\]"/],
    ['[::1]6379', undefined, /missing ":port"/],
    ['abc', '127.0.0.1', /"abc" is not a port number/],
  ])('rejects %j with a clear message', (text, defaultHost, message) => {
    let caught: unknown;
    try {
      parseHostPort(text, defaultHost);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ReplSpyError);
    expect((caught as ReplSpyError).code).toBe('RSPY_BAD_ARGS');
    expect((caught as ReplSpyError).message).toMatch(message);
    expect((caught as ReplSpyError).message).toContain(`"${text}"`);
    expect((caught as ReplSpyError).message).not.toContain('\n');
  });

  it('formats IPv6 hosts in brackets', () => {
    expect(formatHostPort('::1', 6379)).toBe('[::1]:6379');
    expect(formatHostPort('127.0.0.1', 6379)).toBe('127.0.0.1:6379');
  });
});

describe('parseUpstream', () => {
  it.each([
    ['10.0.0.5:6379', { host: '10.0.0.5', port: 6379 }],
    ['redis://10.0.0.5:6380', { host: '10.0.0.5', port: 6380 }],
    ['redis://db.local', { host: 'db.local', port: 6379 }],
    ['redis://:s%40cret@10.0.0.5:6380', { host: '10.0.0.5', port: 6380, password: 's@cret' }],
    ['redis://ops:pw@[::1]:6380/0', { host: '::1', port: 6380, user: 'ops', password: 'pw' }],
  ])('%s', (text, expected) => {
    expect(parseUpstream(text)).toEqual(expected);
  });

  it('rejects other schemes and bad URLs without showing the password', () => {
    expect(() => parseUpstream('rediss://u:secret@h:1')).toThrow(/bad URL "rediss:\/\/u:\*\*\*@h:1": the scheme must be redis:\/\//);
    expect(() => parseUpstream('redis://u:secret@:1')).toThrow(/bad URL/);
    expect(maskUrl('redis://u:secret@h:1')).toBe('redis://u:***@h:1');
  });
});
