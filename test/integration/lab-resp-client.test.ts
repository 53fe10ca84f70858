// The lab's RESP client against a real server: replies read by redis-parser in order, across many chunks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RespClient, RespError } from '../../src/net/resp-client.js';
import { requireRedis, startRedis, type RedisServer } from '../helpers/redis.js';

const hasRedis = requireRedis();

describe.skipIf(!hasRedis)('lab RESP client', () => {
  let server: RedisServer;
  let client: RespClient;
  beforeAll(async () => {
    server = await startRedis();
    client = await RespClient.connect(server.host, server.port);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it('pipelined replies of every RESP2 type come back in order, a 4 MB bulk across many chunks too', async () => {
    const big = 'v'.repeat(4 * 1024 * 1024);
    const replies = await Promise.all([
      client.send(['SET', 'big', big]),
      client.send(['GET', 'big']),
      client.send(['INCR', 'n']),
      client.send(['GET', 'missing']),
      client.send(['RPUSH', 'l', 'a', 'b']),
      client.send(['LRANGE', 'l', 0, -1]),
    ]);
    expect(replies).toEqual(['OK', big, 1, null, 2, ['a', 'b']]);
    await expect(client.send(['NOSUCHCOMMAND'])).rejects.toThrow(RespError);
  });

  it('an error inside an EXEC reply is its message (the error line without "-")', async () => {
    await client.send(['MULTI']);
    await client.send(['SET', 's', 'text']);
    await client.send(['INCR', 's']);
    expect(await client.send(['EXEC'])).toEqual(['OK', 'ERR value is not an integer or out of range']);
  });
});
