// `repl-spy pcap` through the built CLI with hand-built captures (no capture tool needed): a capture piped into
// `pcap -`, usage errors (exit 2), and `--port`.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliPath } from '../helpers/cli.js';
import { resp } from '../helpers/decode-case.js';
import { conversation, frame, ipPacket, pcapngFile } from '../helpers/pcap-build.js';
import type { JsonEvent } from '../helpers/spy.js';

const T0 = 1_796_300_000_000;
const REPLID = '8b1e' + 'a'.repeat(36);

function run(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { input, encoding: 'utf8' });
  return { ...r, events: r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as JsonEvent) };
}

/** A pcapng of one replica's partial resync, as `tcpdump -w -` would write it to a pipe. */
function capture(): Buffer {
  const segs = conversation(
    '10.0.0.2:50000',
    '10.0.0.1:6380',
    [
      { from: 'client', bytes: resp('PSYNC', REPLID, '101'), at: T0 },
      { from: 'server', bytes: `+CONTINUE ${REPLID}\r\n` + resp('SET', 'k', 'v'), at: T0 + 1 },
      { from: 'client', bytes: resp('REPLCONF', 'ACK', '127'), at: T0 + 2 },
    ],
    { openAt: T0, closeAt: T0 + 3 },
  );
  return pcapngFile([{ interfaces: [{ linkType: 1, tsresol: 9 }], packets: segs.map((s) => ({ at: s.at!, data: frame('ethernet', ipPacket(s)) })) }]);
}

describe('repl-spy pcap (CLI)', () => {
  it('pcap - reads a capture from stdin', () => {
    const r = run(['pcap', '-', '--json'], capture());
    expect(r.status, r.stderr).toBe(0);
    expect(r.events.map((e) => e.type)).toEqual(['link-open', 'replica-command', 'psync', 'master-reply', 'continue', 'command', 'ack', 'link-close']);
    expect(r.events.find((e) => e.type === 'command')).toMatchObject({ offset: 127, argv: ['SET', 'k', 'v'], at: T0 + 1 });
    expect(r.events.at(-1)).toMatchObject({ by: 'replica', reason: 'closed by the replica' });
    expect(r.stderr).toBe('repl-spy: stdin: 9 packets (pcapng), 1 replication link among 1 TCP connections\n');
  });

  it('--port keeps the connections on that port; the others are not looked at', () => {
    expect(run(['pcap', '-', '--json', '--port', '6380', '--port', '6379'], capture()).events).toHaveLength(8);
    const other = run(['pcap', '-', '--json', '--port', '6379'], capture());
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/no replication link found: .*; only connections on port 6379 were looked at\n$/);
  });

  it('usage errors exit 2 with one line', () => {
    for (const [args, message] of [
      [['pcap', 'x.pcap', '--port', 'http'], /^repl-spy: --port must be a port number \(1-65535\), not "http"\n$/],
      [['pcap', 'x.pcap', '--port', '70000'], /^repl-spy: --port must be a port number/],
      [['pcap', 'x.pcap', '--capture', 'y.rspy', '--capture-rdb', 'some'], /^repl-spy: --capture-rdb must be full or none, not "some"\n$/],
      [['export', 'x.rspy', '--format', 'wireshark'], /^repl-spy: --format must be jsonl, resp or pcap, not "wireshark"\n$/],
    ] as const) {
      const r = run([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
