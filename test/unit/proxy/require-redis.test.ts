// The real-Redis gate: a missing redis-server fails loudly under CI and is a loud skip elsewhere.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findRedisServer, parseInfo, requireRedis } from '../../helpers/redis.js';

describe('requireRedis', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('throws under CI when redis-server is missing', () => {
    vi.stubEnv('REDIS_SERVER_BIN', '/nonexistent/redis-server');
    vi.stubEnv('CI', 'true');
    expect(findRedisServer()).toBeNull();
    expect(() => requireRedis()).toThrow(/CI is set/);
  });

  it('warns loudly and reports false outside CI', () => {
    vi.stubEnv('REDIS_SERVER_BIN', '/nonexistent/redis-server');
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireRedis()).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('SKIPPING real-Redis tests'));
  });
});

describe('parseInfo', () => {
  it('reads key:value lines and skips section headers', () => {
    const text = '# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=1,state=online\r\n\r\n';
    expect(parseInfo(text)).toEqual({
      role: 'master',
      connected_slaves: '1',
      slave0: 'ip=127.0.0.1,port=1,state=online',
    });
  });
});
