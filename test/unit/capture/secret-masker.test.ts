// The capture's secret masker under every chunking: each secret argument (as decode/mask-secrets.ts decides)
// becomes `$3\r\n***\r\n`, keeping neither the password nor its length, and a capture decoded with secrets shown
// reads exactly as the live stream decoded with secrets masked: one rule for both.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SecretMasker } from '../../../src/capture/secret-masker.js';
import type { ReplEvent } from '../../../src/core/events.js';
import { LinkDecoder } from '../../../src/decode/link-decoder.js';
import { maskSecrets } from '../../../src/decode/mask-secrets.js';
import { chunkings, sampledChunkings } from '../../helpers/chunkings.js';
import { corpusPath, requireCorpus } from '../../helpers/corpus.js';

function masked(chunks: Buffer[]): string {
  const masker = new SecretMasker();
  const out = chunks.map((c) => {
    const copy = Buffer.from(c);
    const m = masker.mask(c);
    expect(c.equals(copy)).toBe(true); // the forwarded chunk is never changed
    return m;
  });
  out.push(masker.end());
  return Buffer.concat(out).toString('latin1');
}

const resp = (...argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
const M = '***';

const cases: Array<{ name: string; input: string; expected: string }> = [
  { name: 'AUTH <password>', input: resp('PING') + resp('AUTH', 's3cret') + resp('REPLCONF', 'listening-port', '6380'), expected: resp('PING') + resp('AUTH', M) + resp('REPLCONF', 'listening-port', '6380') },
  { name: 'AUTH <user> <password>: only the password', input: resp('auth', 'repl', 'pw'), expected: resp('auth', 'repl', M) },
  { name: 'an empty password', input: resp('AUTH', ''), expected: resp('AUTH', M) },
  { name: 'HELLO 3 AUTH <user> <password> SETNAME <name>', input: resp('HELLO', '3', 'AUTH', 'default', 'pa$$word', 'SETNAME', 'r1'), expected: resp('HELLO', '3', 'AUTH', 'default', M, 'SETNAME', 'r1') },
  { name: 'HELLO 3 SETNAME AUTH: a name, no secret', input: resp('HELLO', '3', 'SETNAME', 'AUTH'), expected: resp('HELLO', '3', 'SETNAME', 'AUTH') },
  { name: 'MIGRATE ... COPY AUTH <password> KEYS ...', input: resp('MIGRATE', 'h', '6379', '', '0', '5000', 'COPY', 'AUTH', 'pw1', 'KEYS', 'a', 'AUTH'), expected: resp('MIGRATE', 'h', '6379', '', '0', '5000', 'COPY', 'AUTH', M, 'KEYS', 'a', 'AUTH') },
  { name: 'MIGRATE ... AUTH2 <user> <password>', input: resp('migrate', 'h', '6379', 'k', '0', '5000', 'REPLACE', 'auth2', 'u', 'pw2'), expected: resp('migrate', 'h', '6379', 'k', '0', '5000', 'REPLACE', 'auth2', 'u', M) },
  { name: 'CONFIG SET masterauth / requirepass among other parameters', input: resp('CONFIG', 'SET', 'maxmemory', '1mb', 'masterauth', 'm-pw', 'REQUIREPASS', 'r-pw'), expected: resp('CONFIG', 'SET', 'maxmemory', '1mb', 'masterauth', M, 'REQUIREPASS', M) },
  { name: 'CONFIG GET requirepass: no secret', input: resp('CONFIG', 'GET', 'requirepass'), expected: resp('CONFIG', 'GET', 'requirepass') },
  { name: 'ACL SETUSER: >password, <password and #hash rules', input: resp('ACL', 'SETUSER', 'repl', 'on', '>new-pw', '<old-pw', '#' + 'a'.repeat(64), '~*', '+@all'), expected: resp('ACL', 'SETUSER', 'repl', 'on', M, M, M, '~*', '+@all') },
  { name: 'inline AUTH and HELLO', input: 'AUTH hunter2\r\nHELLO 3 AUTH u p\r\nPING\r\n', expected: `AUTH ${M}\r\nHELLO 3 AUTH u ${M}\r\nPING\r\n` },
  { name: 'after PSYNC too (ACKs pass as they are)', input: resp('PSYNC', '?', '-1') + resp('REPLCONF', 'ACK', '0') + resp('AUTH', 'late'), expected: resp('PSYNC', '?', '-1') + resp('REPLCONF', 'ACK', '0') + resp('AUTH', M) },
  { name: 'keepalive newlines, and a bad header ends masking with every byte kept', input: '\n' + resp('AUTH', 'x') + '*2\r\n$zz\r\nAUTH x\r\n', expected: '\n' + resp('AUTH', M) + '*2\r\n$zz\r\nAUTH x\r\n' },
];

describe('SecretMasker', () => {
  for (const c of cases) {
    it(`${c.name}: same result for every chunking`, () => {
      for (const { name, chunks } of chunkings(Buffer.from(c.input, 'latin1'))) expect(masked(chunks), name).toBe(c.expected);
    });
  }

  it('each chunk is masked as it comes: only the header of an argument that may be secret waits, never a whole command', () => {
    const set = resp('SET', 'k', 'v');
    const auth = resp('AUTH', 's3cret');
    const input = Buffer.from(set + auth, 'latin1');
    const expected = set + resp('AUTH', M);
    const secretAt = set.length + '*2\r\n$4\r\nAUTH\r\n'.length; // its header
    const secretEnd = secretAt + '$6\r\ns3cret'.length;
    for (let cut = 1; cut < input.length; cut++) {
      const masker = new SecretMasker();
      const first = masker.mask(input.subarray(0, cut)).toString('latin1');
      // all that comes before the secret's header goes out at once, nothing of the secret does, its mask once it
      // has passed
      const want = cut < secretEnd ? input.toString('latin1', 0, Math.min(cut, secretAt)) : expected.slice(0, secretAt + `$3\r\n${M}`.length + cut - secretEnd);
      expect(first, `cut at ${cut}`).toBe(want);
      expect(first + masker.mask(input.subarray(cut)).toString('latin1'), `cut at ${cut}`).toBe(expected);
    }
  });

  it('an inline line longer than Redis takes still has its secret masked, then every byte is kept', () => {
    const input = Buffer.from(`AUTH hunter2${'x'.repeat(70_000)}\r\n${resp('AUTH', 'late')}`, 'latin1');
    for (const { name, chunks } of sampledChunkings(input, 50, 5)) {
      const out = masked(chunks);
      expect(out, name).not.toContain('hunter2');
      expect(out.startsWith(`AUTH ${M}`), name).toBe(true);
      expect(out.endsWith(`\r\n${resp('AUTH', 'late')}`), name).toBe(true); // not RESP any more: kept as it came
    }
  });

  it('the chunk itself is recorded when it carries no secret (no copy)', () => {
    const masker = new SecretMasker();
    const chunk = Buffer.from(resp('PING') + resp('REPLCONF', 'capa', 'eof'));
    expect(masker.mask(chunk)).toBe(chunk);
  });

  it('one rule: the masked capture, decoded with secrets shown, gives the events of the live stream decoded with secrets masked', () => {
    const decode = (bytes: string, showSecrets: boolean): string[][] => {
      const out: ReplEvent[] = [];
      new LinkDecoder(1, (e) => out.push(e), { showSecrets }).feed({ kind: 'bytes', link: 1, at: 0, from: 'replica', chunk: Buffer.from(bytes, 'latin1') });
      return out.flatMap((e) => (e.type === 'replica-command' ? [e.argv] : []));
    };
    for (const c of cases) {
      const live = decode(c.input, false);
      expect(decode(c.expected, true), c.name).toEqual(live);
      expect(live.flat().join(' '), c.name).not.toMatch(/s3cret|pa\$\$word|pw1|pw2|m-pw|r-pw|new-pw|old-pw|hunter2/);
    }
  });

  it('maskSecrets leaves commands without secrets as they are', () => {
    const argv = ['SET', 'AUTH', 'x'];
    expect(maskSecrets(argv)).toBe(argv);
  });

  it.skipIf(!requireCorpus('wire', 'secret masking of the recorded sessions'))('masks the passwords of the real sessions and nothing else', () => {
    for (const [session, secret] of [
      ['r70-disk-auth', 's3cret-pw'],
      ['r62-disk-acluser', 'repl-pass'],
    ] as const) {
      const input = readFileSync(corpusPath('wire', session, 'conn1.r2m.bin'));
      const expected = input.toString('latin1').replace(`$${secret.length}\r\n${secret}\r\n`, `$3\r\n***\r\n`);
      expect(expected).not.toContain(secret);
      for (const { name, chunks } of sampledChunkings(input, 100)) expect(masked(chunks), `${session} ${name}`).toBe(expected);
    }
  });
});
