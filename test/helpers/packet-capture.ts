// Real packet capture tools for the tests: tcpdump and dumpcap writing capture files alongside a replication,
// and tshark reading them back. They need capture rights on the loopback interface (root, or CAP_NET_RAW).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { isCI, waitFor } from './redis.js';

/** True when tcpdump, dumpcap and tshark run and may capture; without them the tests skip loudly, and under CI
 *  they fail. */
export function requirePacketTools(): boolean {
  const missing = ['tcpdump', 'dumpcap', 'tshark'].filter((t) => spawnSync(t, ['--version']).error !== undefined);
  let why = missing.length > 0 ? `${missing.join(', ')} not found: install them (apt-get install tcpdump tshark)` : '';
  if (!why) {
    // it listens, then waits for a packet that never comes: stopped after a moment
    const probe = spawnSync('tcpdump', ['-i', 'lo', '-c', '1', '-w', '/dev/null', 'tcp port 1'], { timeout: 1500, encoding: 'utf8' });
    if (!/listening on/.test(probe.stderr)) why = `tcpdump cannot capture on lo (${probe.stderr.trim()}): run as root or give it CAP_NET_RAW`;
  }
  if (!why) return true;
  if (isCI()) throw new Error(`${why}. CI is set, so the packet capture tests fail instead of being skipped.`);
  console.warn(`\n!!!!! SKIPPING the packet capture tests: ${why} !!!!!\n`);
  return false;
}

export interface Capturing {
  proc: ChildProcess;
  stderr(): string;
  /** Stops the capture (SIGINT: the tool writes out what it has) and resolves once it exited. */
  stop(): Promise<void>;
}

/** Starts a capture tool (tcpdump or dumpcap) and resolves once it listens. */
export async function startCapture(tool: 'tcpdump' | 'dumpcap', args: string[], stdout: 'ignore' | 'pipe' = 'ignore'): Promise<Capturing> {
  // as root, tcpdump would switch to its own user, which cannot write into our temporary directories
  const asRoot = tool === 'tcpdump' && process.getuid?.() === 0 ? ['-Z', 'root'] : [];
  const proc = spawn(tool, [...asRoot, ...args], { stdio: ['ignore', stdout, 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`${tool} exited: ${err}`);
      return /listening on|Capturing on|File: /.test(err);
    },
    10_000,
    `${tool} to listen`,
  );
  return {
    proc,
    stderr: () => err,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGINT');
      await exited;
    },
  };
}

/** Packets the kernel dropped, as tcpdump reports when it stops ("N packets dropped by kernel"). */
export function droppedByKernel(stderr: string): number {
  return Number(/(\d+) packets? dropped by kernel/.exec(stderr)?.[1] ?? 0);
}

/** `tshark -q -z follow,tcp,raw,N`: the bytes each side of TCP stream N sent, in order. */
export function tsharkFollow(file: string, stream: number): { node0: string; node1: string; bytes: [Buffer, Buffer] } {
  const r = spawnSync('tshark', ['-r', file, '-q', '-z', `follow,tcp,raw,${stream}`], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const node = (k: number) => new RegExp(`^Node ${k}: (.+)$`, 'm').exec(r.stdout)?.[1] ?? '';
  const parts: [string[], string[]] = [[], []];
  const body = r.stdout.split(/^={20,}$/m)[1] ?? '';
  for (const line of body.split('\n')) {
    if (/^(Follow|Filter|Node \d):/.test(line) || line.trim() === '') continue;
    if (line.startsWith('\t')) parts[1].push(line.trim());
    else parts[0].push(line.trim());
  }
  return { node0: node(0), node1: node(1), bytes: [Buffer.from(parts[0].join(''), 'hex'), Buffer.from(parts[1].join(''), 'hex')] };
}

export function tshark(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
