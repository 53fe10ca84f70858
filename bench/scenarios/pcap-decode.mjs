// Scenario: decoding a packet capture of a full sync and its command stream (passive mode), side by side with
// `tshark -r FILE -q` (reading only) and `tcpdump -r FILE -w /dev/null` on the same file, interleaved.
// The capture is real: tcpdump on lo while a real replica full-syncs from a real master (diskless, 1000-byte
// values) and a write load follows. repl-spy runs as users run it, everything on: `pcap FILE --json` (to
// /dev/null) with RDB analysis and its checksum. Measured per run: wall time, CPU seconds of the process (its
// rusage, as the parent reaps it), peak RSS (VmHWM, sampled), and MB of packets per CPU second.
// Needs capture rights on lo (root or CAP_NET_RAW) for tcpdump.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis, populate, sleep, RespClient } from '../lib/redis.mjs';
import { summary, fmt, mb } from '../lib/stats.mjs';
import { scenarioArgs, writeResult, log } from '../lib/scenario.mjs';
import { measureChild } from '../lib/child-usage.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../dist/cli.js');
const { smoke, out } = scenarioArgs();
const TOTAL_MB = smoke ? 8 : Number(process.env.BENCH_PCAP_MB ?? 1024);
const REPS = smoke ? 1 : Number(process.env.BENCH_PCAP_REPS ?? 3);
const VALUE = 1000;

for (const tool of ['tcpdump', 'tshark']) {
  if (spawnSync(tool, ['--version']).error) throw new Error(`${tool} is not on PATH: this scenario compares with it (Debian: apt-get install -y tcpdump tshark)`);
}

/** A full sync and a write load, captured by tcpdump on lo. */
async function makeCapture(file) {
  const master = await startRedis(['--rdbcompression', 'no', '--repl-diskless-sync', 'yes', '--repl-ping-replica-period', '3600']);
  let replica = null;
  const tcpdump = spawn('tcpdump', [...(process.getuid?.() === 0 ? ['-Z', 'root'] : []), '-i', 'lo', '-s', '0', '-B', '262144', '-w', file, `tcp port ${master.port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tcpdumpErr = '';
  tcpdump.stderr.on('data', (d) => (tcpdumpErr += d));
  try {
    const keys = await populate(master, TOTAL_MB * 0.85 * 1024 * 1024, VALUE);
    for (let i = 0; !tcpdumpErr.includes('listening on'); i++) {
      if (tcpdump.exitCode !== null || i > 500) throw new Error(`tcpdump did not start: ${tcpdumpErr}`);
      await sleep(20);
    }
    replica = await startRedis();
    await replica.cmd('REPLICAOF', '127.0.0.1', master.port);
    for (let waited = 0; ; waited += 20) {
      const info = await replica.info('all');
      if (info.master_link_status === 'up' && info.master_sync_in_progress === '0' && info.loading === '0') break;
      if (waited > 900_000) throw new Error('the replica did not sync in 15 minutes');
      await sleep(20);
    }
    // the stream: pipelined SETs of 1000-byte values, ~15 % of the capture
    const writer = await RespClient.connect(master.port);
    const value = 'v'.repeat(VALUE);
    const count = Math.ceil((TOTAL_MB * 0.15 * 1024 * 1024) / (VALUE + 40));
    for (let sent = 0; sent < count; ) {
      const batch = Math.min(500, count - sent);
      const replies = [];
      for (let k = 0; k < batch; k++) replies.push(writer.send(['SET', `stream:${sent + k}`, value]));
      await Promise.all(replies);
      sent += batch;
    }
    writer.close();
    const offset = Number((await master.info()).master_repl_offset);
    for (let waited = 0; Number((await replica.info()).slave_repl_offset) !== offset; waited += 20) {
      if (waited > 300_000) throw new Error('the replica did not catch up with the stream');
      await sleep(20);
    }
    await sleep(1500); // the replica's next ACK, and tcpdump's buffered blocks
    tcpdump.kill('SIGINT');
    await new Promise((resolve) => tcpdump.once('exit', resolve));
    const dropped = Number(/(\d+) packets? dropped by kernel/.exec(tcpdumpErr)?.[1] ?? 0);
    return { keys, offset, streamCommands: count, dropped };
  } finally {
    if (tcpdump.exitCode === null) tcpdump.kill('SIGKILL');
    await replica?.stop();
    await master.stop();
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-bench-pcap-'));
try {
  const file = path.join(dir, 'sync.pcap');
  const made = await makeCapture(file);
  const bytes = statSync(file).size;
  log(`pcap-decode: ${mb(bytes).toFixed(0)} MB capture, ${made.keys} keys + ${made.streamCommands} streamed SETs, ${made.dropped} packets dropped by the kernel`);
  const TOOLS = {
    'repl-spy pcap --json (RDB analysis + checksum)': [process.execPath, [cli, 'pcap', file, '--json']],
    'tshark -r FILE -q': ['tshark', ['-r', file, '-q']],
    'tcpdump -r FILE -w /dev/null': ['tcpdump', ['-r', file, '-w', '/dev/null']],
  };
  const runs = Object.fromEntries(Object.keys(TOOLS).map((k) => [k, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const [name, [command, args]] of Object.entries(TOOLS)) {
      const r = await measureChild(command, args);
      if (command === process.execPath && !/1 replication link among/.test(r.stderr)) throw new Error(`repl-spy found no link: ${r.stderr}`);
      runs[name].push(r);
      log(`  rep ${rep + 1} ${name}: ${r.wallS.toFixed(2)} s wall, ${r.cpuS.toFixed(2)} s CPU, ${r.rssMb.toFixed(0)} MB peak RSS`);
    }
  }
  const ours = runs['repl-spy pcap --json (RDB analysis + checksum)'];
  const tsharkRuns = runs['tshark -r FILE -q'];
  const rows = Object.entries(runs).map(([name, rs]) => [
    name,
    fmt(summary(rs.map((r) => r.wallS)), 2),
    fmt(summary(rs.map((r) => r.cpuS)), 2),
    fmt(summary(rs.map((r) => bytes / 1e6 / r.cpuS)), 0),
    fmt(summary(rs.map((r) => r.rssMb)), 0),
  ]);
  const mbPerCpuS = summary(ours.map((r) => bytes / 1e6 / r.cpuS)).median;
  const rss = summary(ours.map((r) => r.rssMb)).median;
  const vsTshark = summary(ours.map((r, i) => tsharkRuns[i].cpuS / r.cpuS)).median;
  writeResult(out, {
    scenario: 'pcap-decode',
    title: 'Passive mode: decoding a pcap of a full sync and its stream, vs tshark and tcpdump reading it',
    params: { captureBytes: bytes, keys: made.keys, valueBytes: VALUE, streamCommands: made.streamCommands, reps: REPS, droppedByKernel: made.dropped },
    notes: [
      'The capture is tcpdump -i lo -s 0 of a real diskless full sync (rdbcompression no) and a pipelined SET load after it; every tool reads the same file, interleaved, stdout to /dev/null.',
      'CPU seconds are the process\'s own (user + system, from the rusage of the reaped child); MB/s is megabytes of capture file per CPU second; peak RSS is VmHWM sampled every 20 ms.',
      'tshark -q still dissects every packet (no output); tcpdump -w only copies records: they bound what reading the file costs.',
    ],
    tables: [
      {
        title: `${mb(bytes).toFixed(0)} MB pcap (${made.keys} keys in the RDB, ${made.streamCommands} commands after it), ${REPS} interleaved repetitions`,
        columns: ['reader', 'wall s', 'CPU s', 'MB/s (10^6 B per CPU s)', 'peak RSS MiB'],
        rows,
      },
    ],
    goals: [
      { goal: 'faster than tshark -r FILE -q (CPU ratio > 1)', value: `${vsTshark.toFixed(2)}x`, met: vsTshark > 1 },
      { goal: '>= 300 MB/s of packets on one core (MB per CPU second)', value: mbPerCpuS.toFixed(0), met: mbPerCpuS >= 300 },
      { goal: 'peak RSS < 150 MB', value: rss.toFixed(0), met: rss < 150 },
    ],
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
