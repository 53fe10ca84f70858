// The exit codes of the README, for every kind of the error family and for files named on the command line.
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../../src/capture/errors.js';
import { describeFailure } from '../../../src/cli/fail.js';
import { ReplSpyError } from '../../../src/core/errors.js';
import { RdbFormatError } from '../../../src/decode/rdb/errors.js';
import { RespError } from '../../../src/net/resp-client.js';
import { PcapError } from '../../../src/pcap/errors.js';

const fileError = (code: string, path: string) => Object.assign(new Error(`${code}: open '${path}'`), { code, path });

describe('exit codes', () => {
  it('usage errors and a refused replay target exit 2, cannot listen 3', () => {
    expect(describeFailure(new ReplSpyError('RSPY_BAD_ARGS', '--speed must be a positive number'))).toEqual({ message: '--speed must be a positive number', exitCode: 2 });
    expect(describeFailure(new ReplSpyError('RSPY_REPLAY_REFUSED', 'refusing', { hint: 'add --force' }))).toEqual({ message: 'refusing: add --force', exitCode: 2 });
    expect(describeFailure(new ReplSpyError('RSPY_LISTEN', 'cannot listen')).exitCode).toBe(3);
  });

  it('a file that does not exist exits 2 with its path; one that cannot be read exits 1', () => {
    expect(describeFailure(fileError('ENOENT', 'x.rspy'))).toEqual({ message: 'x.rspy: no such file or directory', exitCode: 2 });
    expect(describeFailure(fileError('EISDIR', 'dir'))).toEqual({ message: 'dir: is a directory, not a file', exitCode: 2 });
    expect(describeFailure(fileError('EACCES', 'x.rspy'))).toEqual({ message: 'x.rspy: permission denied', exitCode: 1 });
  });

  it('every other kind of the family, and anything else, exits 1 with its message', () => {
    const capture = new CaptureError('RSPY_CAPTURE_TRUNCATED', 'x.rspy', 120, 'the last record is incomplete');
    expect(describeFailure(capture)).toEqual({ message: 'x.rspy: byte 120: the last record is incomplete', exitCode: 1 });
    expect(describeFailure(new PcapError('RSPY_PCAP_FORMAT', 24, 'bad record')).exitCode).toBe(1);
    expect(describeFailure(new RespError('ERR unknown command')).exitCode).toBe(1);
    expect(describeFailure(new ReplSpyError('RSPY_NO_REDIS', 'redis-server was not found on PATH')).exitCode).toBe(1);
    expect(describeFailure(new Error('boom'))).toEqual({ message: 'boom', exitCode: 1 });
  });
});
