// What the tests of `repl-spy tail` share: the CLI run, what it decoded so far, a pipelined write load whose
// commands can be checked one by one (SET k:<i> <i>), and a TCP forwarder in its own process to kill.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { runCli, type CliRun } from './cli.js';
import { RespClient } from '../../src/net/resp-client.js';
import { parseInfo, waitFor, type RedisServer } from './redis.js';
import type { JsonEvent } from './spy.js';

/** `repl-spy tail <args> --json --no-capture` (`capture`: `--capture <file>` instead; `lines`: `--no-tui`
 *  instead of `--json`), resolved once it follows the master. */
export async function startTailCli(
  args: string[],
  opts: { env?: Record<string, string>; following?: boolean; capture?: string; lines?: boolean } = {},
): Promise<CliRun> {
  const output = [opts.lines ? '--no-tui' : '--json', ...(opts.capture ? ['--capture', opts.capture] : ['--no-capture'])];
  const run = runCli(['tail', ...args, ...output], { env: opts.env });
  if (opts.following === false) return run;
  await waitFor(
    () => {
      if (run.proc.exitCode !== null) throw new Error(`tail exited (${run.proc.exitCode}): ${run.stderr()}`);
      return /following \w+:\d+ with \+CONTINUE/.test(run.stderr());
    },
    20_000,
    'tail to follow the master',
  ).catch(async (err: Error) => {
    await run.stop();
    throw new Error(`${err.message}\nstderr: ${run.stderr()}`);
  });
  return run;
}

/** The offset of the last command tail printed (without parsing the whole output). */
export function lastCommandOffset(run: CliRun): number | null {
  const out = run.stdout();
  let end = out.length;
  for (;;) {
    const nl = out.lastIndexOf('\n', end - 1);
    if (nl < 0) return null;
    const start = out.lastIndexOf('\n', nl - 1) + 1;
    const line = out.slice(start, nl);
    if (line.startsWith('{"type":"command"')) return (JSON.parse(line) as JsonEvent).offset as number;
    end = start;
    if (end === 0) return null;
  }
}

/** Waits until tail printed a command at the master's current offset (it is caught up). */
export async function waitCaughtUp(run: CliRun, master: Pick<RedisServer, 'info'>, timeoutMs = 30_000): Promise<number> {
  let offset = -1;
  await waitFor(
    async () => {
      if (run.proc.exitCode !== null) throw new Error(`tail exited: ${run.stderr()}`);
      offset = Number((await master.info('replication')).master_repl_offset);
      return lastCommandOffset(run) === offset;
    },
    timeoutMs,
    'tail to reach the master offset',
  ).catch((err: Error) => {
    throw new Error(`${err.message} (master at ${offset}, tail at ${lastCommandOffset(run)})\nstderr: ${run.stderr()}`);
  });
  return offset;
}

/** `SET k:<i> <i>` for i in [from, from+count), pipelined in batches; resolves once every reply came. */
export async function pipelinedSets(port: number, from: number, count: number, opts: { batch?: number; password?: string } = {}): Promise<void> {
  await writeSets(port, from, (i) => i < from + count, opts);
}

/** A write load that goes on until stop() (or `max` SETs: what a 64 MB backlog holds with room to spare), so that
 *  cuts made during it have more of it after them however slow the machine. stop() resolves with the number of
 *  SETs written (k:<from> onwards). */
export function startSetLoad(port: number, from: number, opts: { batch?: number; max?: number } = {}): { stop(): Promise<number> } {
  let going = true;
  const end = from + (opts.max ?? 1_000_000);
  const load = writeSets(port, from, (i) => going && i < end, opts);
  return {
    async stop() {
      going = false;
      return (await load) - from;
    },
  };
}

/** `SET k:<i> <i>` from i = from while more(i), pipelined in batches; resolves with the i after the last. */
function writeSets(port: number, from: number, more: (i: number) => boolean, opts: { batch?: number; password?: string }): Promise<number> {
  const batch = opts.batch ?? 10_000;
  const socket = net.connect(port, '127.0.0.1');
  return new Promise((resolve, reject) => {
    let i = from;
    let expected = 0;
    let received = 0;
    let authPending = opts.password !== undefined;
    const next = (): void => {
      const parts: string[] = [];
      for (; parts.length < batch && more(i); i++) parts.push(resp('SET', `k:${i}`, String(i)));
      expected += parts.length * 5; // +OK\r\n
      socket.write(parts.join(''));
    };
    socket.on('connect', () => (authPending ? socket.write(resp('AUTH', opts.password!)) : next()));
    socket.on('data', (d: Buffer) => {
      if (authPending) {
        authPending = false;
        return next();
      }
      if (d.includes('-')) return reject(new Error(`the load got an error: ${d.toString().slice(0, 200)}`));
      received += d.length;
      if (received < expected) return;
      if (more(i)) return next();
      socket.end();
      resolve(i);
    });
    socket.on('error', reject);
  });
}

function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** The SET k:<i> commands tail printed, in order: their i. */
export function setIndexes(events: JsonEvent[]): number[] {
  return events.filter((e) => e.type === 'command' && e.argv[0] === 'SET').map((e) => Number((e.argv[1] as string).slice(2)));
}

/** The offsets of the commands of each link follow one another: each is the one before plus the command's bytes;
 *  and a link starts where the one before it ended (`rewound`: or earlier, after a failover, see --help). */
export function offsetsAreExact(events: JsonEvent[], opts: { rewound?: boolean } = {}): boolean {
  const commands = events.filter((e) => e.type === 'command');
  return commands.every((e, k) => {
    if (k === 0) return true;
    const before = commands[k - 1]!;
    if (e.link === before.link || !opts.rewound) return e.offset === before.offset + e.bytes;
    return e.offset - e.bytes <= before.offset;
  });
}

/** A plain TCP forwarder in a process of its own, to SIGKILL between tail and the master. */
export async function startForwarder(listenPort: number, upstreamPort: number): Promise<{ kill(): Promise<void> }> {
  const script = `const net=require('net');const [lp,up]=process.argv.slice(1).map(Number);
net.createServer((c)=>{const u=net.connect(up,'127.0.0.1');c.pipe(u);u.pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());})
.listen(lp,'127.0.0.1',()=>console.log('ready'));`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script, String(listenPort), String(upstreamPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the forwarder exited (${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** INFO over a new connection each time: Sentinel kills the normal clients of the servers it reconfigures. */
export function infoReader(port: number): Pick<RedisServer, 'info'> {
  return {
    async info(section = 'replication') {
      const client = await RespClient.connect('127.0.0.1', port);
      try {
        return parseInfo(String(await client.send(['INFO', section])));
      } finally {
        client.close();
      }
    },
  };
}
