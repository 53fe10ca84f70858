import { describe, expect, it } from 'vitest';
import { parseSentinelUrl } from '../../../src/tail/master-source.js';

describe('parseSentinelUrl', () => {
  it('hosts (port 26379 by default), the master name, and Sentinel credentials', () => {
    expect(parseSentinelUrl('sentinel://u:p%40ss@10.0.0.1,10.0.0.2:5000/my%20master')).toEqual({
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 5000 }],
      name: 'my master',
      user: 'u',
      password: 'p@ss',
    });
    expect(parseSentinelUrl('sentinel://127.0.0.1:26380/m')).toEqual({ sentinels: [{ host: '127.0.0.1', port: 26380 }], name: 'm' });
  });
  it('refuses what is not one, without showing the password', () => {
    expect(() => parseSentinelUrl('redis://127.0.0.1/m')).toThrow(/bad --follow/);
    expect(() => parseSentinelUrl('sentinel://:pw@h:1')).toThrow(/sentinel:\/\/:\*\*\*@h:1/);
  });
});
