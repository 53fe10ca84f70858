// Replication links told from other connections by their bytes, and the replica side named, whether the
// connection is seen from its start or joined mid-stream; every case under every chunking of every direction.
import { describe, expect, it } from 'vitest';
import { LinkDetector, type Side, type Verdict } from '../../../src/pcap/link-detect.js';
import { chunkings, sampledChunkings } from '../../helpers/chunkings.js';
import { resp } from '../../helpers/decode-case.js';

type Step = [Side, string];

/** The verdict after each step, under every chunking of each step: the first non-null one, and after which step. */
function detect(steps: Step[], fromStart: [boolean, boolean], client: Side | null): { verdict: Verdict; step: number } {
  const run = (split: (k: number, b: Buffer) => Buffer[]) => {
    const d = new LinkDetector(fromStart, client);
    for (let k = 0; k < steps.length; k++) {
      for (const c of split(k, Buffer.from(steps[k]![1], 'latin1'))) {
        const v = d.take(steps[k]![0], c);
        if (v !== null) return { verdict: v, step: k };
      }
    }
    return { verdict: null as Verdict, step: -1 };
  };
  const whole = run((_k, b) => [b]);
  steps.forEach((s, k) => {
    const bytes = Buffer.from(s[1], 'latin1');
    for (const { name, chunks } of bytes.length > 2000 ? sampledChunkings(bytes, 100, 3) : chunkings(bytes, 3)) {
      expect(run((i, b) => (i === k ? chunks : [b])), `step ${k} ${name}`).toEqual(whole);
    }
  });
  return whole;
}

const START: [boolean, boolean] = [true, true];
const MID: [boolean, boolean] = [false, false];

describe('LinkDetector, connection seen from its start', () => {
  it('a replica handshake: PING, AUTH, then REPLCONF: that side is the replica', () => {
    expect(detect([[1, resp('PING')], [0, '-NOAUTH Authentication required.\r\n'], [1, resp('AUTH', 'secret')], [0, '+OK\r\n'], [1, resp('REPLCONF', 'listening-port', '6380')]], START, 1)).toEqual({
      verdict: { replica: 1 },
      step: 4,
    });
    expect(detect([[0, resp('PSYNC', '?', '-1')]], START, 0).verdict).toEqual({ replica: 0 });
    expect(detect([[0, '\n' + 'SYNC\r\n']], START, 0).verdict).toEqual({ replica: 0 }); // inline, after a newline
  });

  it("the master's answer tells it when the replica's first bytes are not there", () => {
    expect(detect([[1, '+FULLRESYNC 8b1e 0\r\n']], START, 0).verdict).toEqual({ replica: 0 });
    expect(detect([[0, '+CONTINUE\r\n']], START, 1).verdict).toEqual({ replica: 1 });
    expect(detect([[0, '$ENDOFF:100 8b1e 0 7\r\n']], START, 1).verdict).toEqual({ replica: 1 });
    expect(detect([[0, '+RDBCHANNELSYNC 7\r\n']], START, 1).verdict).toEqual({ replica: 1 });
  });

  it('a client that sends anything else first is no replica (a Sentinel, an application)', () => {
    expect(detect([[0, resp('PING')], [1, '+PONG\r\n'], [0, resp('GET', 'k')]], START, 0)).toEqual({ verdict: 'not-replication', step: 2 });
    expect(detect([[0, resp('AUTH', 'x')], [0, resp('SUBSCRIBE', '__sentinel__:hello')]], START, 0).verdict).toBe('not-replication');
    expect(detect([[0, 'INFO\r\n']], START, 0).verdict).toBe('not-replication');
    expect(detect([[0, 'GET / HTTP/1.1\r\n']], START, 0).verdict).toBe('not-replication');
    expect(detect([[0, '\x16\x03\x01\x02\x00\x01']], START, 0).verdict).toBe('not-replication'); // TLS
  });

  it('a handshake that never says more decides nothing', () => {
    expect(detect([[0, resp('PING')], [1, '+PONG\r\n']], START, 0).verdict).toBeNull();
  });
});

describe('LinkDetector, connection joined mid-stream', () => {
  it("a replica's REPLCONF ACK, a master's REPLCONF GETACK, in the middle of other bytes", () => {
    const stream = 'lue\r\n' + resp('SET', 'k', 'v');
    expect(detect([[0, stream], [1, 'K\r\n$1\r\n5\r\n' + resp('REPLCONF', 'ACK', '123')]], MID, null)).toEqual({ verdict: { replica: 1 }, step: 1 });
    expect(detect([[1, stream + resp('REPLCONF', 'GETACK', '*')]], MID, null).verdict).toEqual({ replica: 0 });
    expect(detect([[0, resp('replconf', 'ack', '5', 'FACK', '5')]], MID, null).verdict).toEqual({ replica: 0 });
  });

  it('commands alone say nothing (a client or a master); once both sides carried kilobytes with no ACK, no link', () => {
    const cmds = resp('SET', 'k', 'v'.repeat(100)).repeat(200);
    expect(detect([[0, cmds]], MID, null).verdict).toBeNull();
    expect(detect([[0, cmds], [1, '+OK\r\n'.repeat(4000)]], MID, null).verdict).toBe('not-replication');
  });
});
