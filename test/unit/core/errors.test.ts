// One error family: every error class of src/ is a ReplSpyError, each with its code, and the closed list of codes
// holds no code that nothing raises.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../../src/capture/errors.js';
import { ReplSpyError } from '../../../src/core/errors.js';
import { RdbFormatError } from '../../../src/decode/rdb/errors.js';
import { RespError } from '../../../src/net/resp-client.js';
import { PcapError } from '../../../src/pcap/errors.js';
import { repoRoot } from '../../helpers/repo-root.js';

const src = path.join(repoRoot, 'src');
const sources = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: readFileSync(path.join(src, f), 'utf8') }));

describe('the error family', () => {
  it('CaptureError, PcapError, RdbFormatError and RespError are ReplSpyErrors with their code and name', () => {
    const kinds = [
      new CaptureError('RSPY_CAPTURE_FORMAT', 'x.rspy', 9, 'bad'),
      new PcapError('RSPY_PCAP_TRUNCATED', 3, 'cut'),
      new RdbFormatError('RDB_BAD_MAGIC', 0, 'REDIS', 'not an RDB file'),
      new RespError('NOAUTH Authentication required.'),
    ];
    expect(kinds.map((e) => [e instanceof ReplSpyError, e.name, e.code])).toEqual([
      [true, 'CaptureError', 'RSPY_CAPTURE_FORMAT'],
      [true, 'PcapError', 'RSPY_PCAP_TRUNCATED'],
      [true, 'RdbFormatError', 'RDB_BAD_MAGIC'],
      [true, 'RespError', 'RSPY_SERVER_REPLY'],
    ]);
  });

  it('no error class of src/ stands outside the family', () => {
    const classes = sources.flatMap(({ file, text }) => [...text.matchAll(/class (\w+) extends (\w+)/g)].filter((m) => /Error$/.test(m[2]!)).map((m) => `${file}: ${m[1]} extends ${m[2]}`));
    expect(classes.length).toBeGreaterThanOrEqual(5);
    expect(classes.filter((c) => !/extends ReplSpyError$/.test(c))).toEqual(['core/errors.ts: ReplSpyError extends Error']);
  });

  it('every code of the closed list is raised somewhere in src/', () => {
    const list = sources.find((s) => s.file === path.join('core', 'errors.ts'))!.text;
    const codes = [...list.matchAll(/\|\s*'([A-Z_]+)'/g), ...list.matchAll(/= '([A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(25);
    const elsewhere = sources.filter((s) => s.file !== path.join('core', 'errors.ts')).map((s) => s.text).join('\n');
    expect(codes.filter((c) => !elsewhere.includes(`'${c}'`))).toEqual([]);
  });
});
