import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuthSecretScanner } from '../../../src/capture/auth-secrets.js';
import { chunkings, sampledChunkings } from '../../helpers/chunkings.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const corpus = (session: string, file: string) => readFileSync(path.resolve(repoRoot, '../shared/corpus/wire', session, file));

/** Masks a stream fed in the given chunks, as the writer does with its copy. */
function masked(chunks: Buffer[]): string {
  const scanner = new AuthSecretScanner();
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const copy = Buffer.from(chunk);
    for (const [start, end] of scanner.secretRanges(chunk)) copy.fill('*', start, end);
    out.push(copy);
  }
  return Buffer.concat(out).toString('latin1');
}

const resp = (...argv: string[]) => `*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

describe('AuthSecretScanner', () => {
  const cases: Array<{ name: string; input: string; expected: string }> = [
    {
      name: 'AUTH <password> between PING and REPLCONF',
      input: resp('PING') + resp('AUTH', 's3cret') + resp('REPLCONF', 'listening-port', '6380'),
      expected: resp('PING') + resp('AUTH', '******') + resp('REPLCONF', 'listening-port', '6380'),
    },
    {
      name: 'AUTH <user> <password>: only the password',
      input: resp('auth', 'repl', 'pw') + resp('PSYNC', '?', '-1'),
      expected: resp('auth', 'repl', '**') + resp('PSYNC', '?', '-1'),
    },
    {
      name: 'inline AUTH',
      input: 'AUTH hunter2\r\nPING\r\n',
      expected: 'AUTH *******\r\nPING\r\n',
    },
    {
      name: 'nothing after PSYNC is scanned (the stream phase has only ACKs)',
      input: resp('PSYNC', '?', '-1') + resp('AUTH', 'late'),
      expected: resp('PSYNC', '?', '-1') + resp('AUTH', 'late'),
    },
    {
      name: 'empty password, keepalive newlines',
      input: '\n' + resp('AUTH', '') + resp('AUTH', 'x'),
      expected: '\n' + resp('AUTH', '') + resp('AUTH', '*'),
    },
  ];
  for (const c of cases) {
    it(`${c.name}: same result for every chunking`, () => {
      for (const { name, chunks } of chunkings(Buffer.from(c.input, 'latin1'))) {
        expect(masked(chunks), name).toBe(c.expected);
      }
    });
  }

  it('masks the passwords of the real sessions and nothing else', () => {
    for (const [session, secret] of [
      ['r70-disk-auth', 's3cret-pw'],
      ['r62-disk-acluser', 'repl-pass'],
    ] as const) {
      const input = corpus(session, 'conn1.r2m.bin');
      const expected = input.toString('latin1').replace(`$${secret.length}\r\n${secret}\r\n`, `$${secret.length}\r\n${'*'.repeat(secret.length)}\r\n`);
      expect(expected).not.toContain(secret);
      for (const { name, chunks } of sampledChunkings(input, 100)) expect(masked(chunks), `${session} ${name}`).toBe(expected);
    }
  });
});
