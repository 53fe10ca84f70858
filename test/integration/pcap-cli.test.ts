// `repl-spy pcap` through the built CLI with hand-built captures (no capture tool needed): a capture piped into
// `pcap -`, usage errors (exit 2), `--port`, and `pcap -` serving metrics while it reads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/redis.js';
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

  it('pcap - serves metrics while it reads, the lag at the time of the packets; --report is written when stdin ends', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-pcap-metrics-'));
    const report = path.join(dir, 'pcap.html');
    // the replica acknowledges the first SET, not the one at T0 + 10; the last packet is 3 s after that one
    const segs = conversation(
      '10.0.0.2:50000',
      '10.0.0.1:6380',
      [
        { from: 'client', bytes: resp('PSYNC', REPLID, '101'), at: T0 },
        { from: 'server', bytes: `+CONTINUE ${REPLID}\r\n` + resp('SET', 'k', 'v'), at: T0 + 1 },
        { from: 'client', bytes: resp('REPLCONF', 'ACK', '127'), at: T0 + 2 },
        { from: 'server', bytes: resp('SET', 'k', 'w'), at: T0 + 10 },
        { from: 'server', bytes: resp('PING'), at: T0 + 3010 },
      ],
      { openAt: T0, close: false },
    );
    const pcap = pcapngFile([{ interfaces: [{ linkType: 1, tsresol: 9 }], packets: segs.map((x) => ({ at: x.at!, data: frame('ethernet', ipPacket(x)) })) }]);
    const r = runCli(['pcap', '-', '--json', '--metrics', '127.0.0.1:0', '--report', report], { stdin: 'pipe' });
    r.proc.stdin!.write(pcap); // stdin stays open: tcpdump is still capturing
    try {
      let url = '';
      await waitFor(() => !!(url = /metrics (http:\/\/\S+)/.exec(r.stderr())?.[1] ?? ''), 10_000, 'the metrics line');
      let text = '';
      const lag = 'redis_connected_slave_lag_seconds{slave_ip="10.0.0.2",slave_port="50000",slave_state="online",master="10.0.0.1:6380"}';
      await waitFor(async () => (text = await (await fetch(url)).text()).includes(`${lag} 3`), 10_000, `${lag} 3`);
      expect(text).toContain('replspy_partial_syncs_total{reason="within-backlog"} 1');
      expect(text).toContain('replspy_links_open{kind="replica"} 1');
    } finally {
      r.proc.stdin!.end();
    }
    expect((await r.exited).code, r.stderr()).toBe(0);
    expect(readFileSync(report, 'utf8')).toContain('<g class="link" data-link="1"');
    rmSync(dir, { recursive: true, force: true });
  });
});
