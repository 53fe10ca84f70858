// Handshake variants on real servers, decoded live: AUTH with a user (2 arguments), a wrong password, no password
// at all against requirepass, and an old-style inline SYNC. Clear events, secrets masked, no protocol violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRedis, startRedis, startReplicaThrough, waitFor, type RedisServer, waitForLinkUp } from '../helpers/redis.js';
import { tcpClient } from '../helpers/cli.js';
import { startSpy, type Spy } from '../helpers/spy.js';

const hasRedis = requireRedis();
const PASSWORD = 'hs-default-Pw-3c9e';
const USER_PASSWORD = 'hs-user-Pw-77d1';

describe.skipIf(!hasRedis)('replication handshakes through repl-spy', () => {
  let master: RedisServer;
  const stops: (() => Promise<void>)[] = [];
  const spyOn = async (): Promise<Spy> => {
    const spy = await startSpy(master.port);
    stops.push(() => spy.close());
    return spy;
  };
  const replicaThrough = async (spy: Spy, opts: Parameters<typeof startReplicaThrough>[1]): Promise<RedisServer> => {
    const replica = await startReplicaThrough(spy.port, opts);
    stops.unshift(() => replica.stop());
    return replica;
  };

  beforeAll(async () => {
    master = await startRedis({ password: PASSWORD });
    await master.cmd('ACL', 'SETUSER', 'repl', 'on', `>${USER_PASSWORD}`, '~*', '&*', '+@all');
    await master.cmd('SET', 'k', 'v');
  });

  afterAll(async () => {
    for (const stop of stops) await stop();
    await master?.stop();
  });

  it('AUTH <user> <password>: the user shown, the password masked, then a full sync', async () => {
    const spy = await spyOn();
    const replica = await replicaThrough(spy, { masterauth: USER_PASSWORD, args: ['--masteruser', 'repl'] });
    await waitForLinkUp(replica, 20_000);
    const handshake = spy.of('replica-command').map((e) => e.argv);
    expect(handshake[0]).toEqual(['PING']);
    expect(handshake[1]).toEqual(['AUTH', 'repl', '***']);
    expect(handshake).toContainEqual(['REPLCONF', 'listening-port', String(replica.port)]);
    expect(handshake).toContainEqual(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    expect(handshake.at(-1)).toEqual(['PSYNC', '?', '-1']);
    expect(spy.of('master-reply').map((e) => e.reply).slice(0, 2)).toEqual(['-NOAUTH Authentication required.', '+OK']);
    expect(spy.of('fullresync')).toHaveLength(1);
    expect(spy.of('protocol-violation')).toEqual([]);
    for (const line of spy.lines) expect(line).not.toContain(USER_PASSWORD);
  });

  it('a wrong password: -WRONGPASS shown, the replica closes and retries, nothing undecodable', async () => {
    const spy = await spyOn();
    await replicaThrough(spy, { masterauth: 'not-the-password' });
    await waitFor(() => spy.of('link-close').length >= 2, 20_000, 'two failed attempts');
    for (const link of spy.of('link-close').map((e) => e.link)) {
      expect(spy.of('replica-command', link).map((e) => e.argv).slice(0, 2)).toEqual([['PING'], ['AUTH', '***']]);
      // Redis pipelines its REPLCONFs after AUTH: each is refused too.
      const replies = spy.of('master-reply', link).map((e) => e.reply);
      expect(replies.slice(0, 2)).toEqual(['-NOAUTH Authentication required.', expect.stringMatching(/^-WRONGPASS /)]);
      for (const reply of replies.slice(2)) expect(reply).toBe('-NOAUTH Authentication required.');
      expect(spy.of('link-close', link)).toEqual([expect.objectContaining({ by: 'replica' })]);
    }
    expect(spy.of('fullresync')).toEqual([]);
    expect(spy.of('protocol-violation')).toEqual([]);
    for (const line of spy.lines) expect(line).not.toContain('not-the-password');
  });

  it('no masterauth against requirepass: every step answered -NOAUTH, the PSYNC refused', async () => {
    const spy = await spyOn();
    await replicaThrough(spy, {});
    await waitFor(() => spy.of('psync').length >= 1 && spy.of('link-close').length >= 1, 20_000, 'a refused PSYNC');
    const [link] = spy.links();
    expect(spy.of('replica-command', link).map((e) => e.argv[0])).not.toContain('AUTH');
    const replies = spy.of('master-reply', link).map((e) => e.reply);
    expect(replies.length).toBeGreaterThanOrEqual(3);
    for (const reply of replies) expect(reply).toMatch(/^-NOAUTH /);
    expect(spy.of('fullresync')).toEqual([]);
    expect(spy.of('protocol-violation')).toEqual([]);
  });

  it('inline AUTH and SYNC (the pre-PSYNC protocol): secret masked, a sized RDB, then the command stream', async () => {
    const spy = await spyOn();
    const client = tcpClient(spy.port);
    stops.unshift(async () => {
      client.socket.destroy();
      await client.closed;
    });
    // One at a time: Redis refuses SYNC while a reply is still pending on the connection.
    client.socket.write(`AUTH ${PASSWORD}\r\n`);
    await waitFor(() => client.received().toString() === '+OK\r\n', 10_000, '+OK to AUTH');
    client.socket.write('SYNC\r\n');
    await waitFor(() => spy.of('rdb-end').length === 1, 20_000, 'the RDB of SYNC');
    await master.cmd('SET', 'after-sync', '1');
    await master.cmd('INCR', 'n');
    await waitFor(() => spy.of('command').some((c) => c.argv[0] === 'INCR'), 10_000, 'the stream after SYNC');

    expect(spy.of('replica-command').map((e) => e.argv)).toEqual([['AUTH', '***'], ['SYNC']]);
    expect(spy.of('psync')).toEqual([]);
    expect(spy.of('master-reply')[0]).toMatchObject({ reply: '+OK' });
    const [start] = spy.of('rdb-start');
    expect(start).toMatchObject({ mode: 'disk' });
    expect(spy.of('rdb-end')[0]).toMatchObject({ bytes: start!.size });
    const commands = spy.of('command');
    expect(commands.map((c) => c.argv[0].toUpperCase())).toEqual(expect.arrayContaining(['SET', 'INCR']));
    for (let i = 1; i < commands.length; i++) expect(commands[i]!.offset).toBe(commands[i - 1]!.offset + commands[i]!.bytes);
    expect(spy.of('protocol-violation')).toEqual([]);
    for (const line of spy.lines) expect(line).not.toContain(PASSWORD);
  });
});
