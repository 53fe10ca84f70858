// Runs `repl-spy lab` as a real child process (built CLI, --json) for the lab integration tests: its events,
// its control interface, and direct connections to its servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { RespClient, type Reply } from '../../src/net/resp-client.js';
import { clientTlsFromFlags } from '../../src/net/tls-options.js';
import { cliPath as cli } from '../helpers/cli.js';

export interface LabServerStatus {
  name: string;
  host: string;
  port: number;
  pid: number;
  proxy: string;
  log: string;
}
export interface LabStatus {
  dir: string;
  /** the file (mode 0600) that holds the servers' password: the status never shows it */
  passwordFile: string;
  /** with --tls: the lab's CA and the certificate its own connections present */
  tls: { ca: string; cert: string; key: string } | null;
  guardPid: number;
  master: LabServerStatus;
  replicas: LabServerStatus[];
  links: { link: number; replica: number | null; server: string | null }[];
  armedFaults: string[];
}

export type LabEvent = Record<string, unknown> & { type: string; link: number; at: number };

export interface Output {
  events: LabEvent[];
  stderr: string;
}

export class LabRun {
  private clients: RespClient[] = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly control: string,
    readonly status: LabStatus,
    private readonly out: Output,
    private readonly exit: Promise<{ code: number | null; signal: string | null }>,
  ) {}

  /** Events printed so far (JSON lines of stdout). */
  get events(): LabEvent[] {
    return this.out.events;
  }

  get stderr(): string {
    return this.out.stderr;
  }

  static async start(args: string[]): Promise<LabRun> {
    const { proc, out, exit } = spawnLab(args);
    // asked the moment the control line is written, not at the next poll: a lab that fails right after it (a
    // broken redis-sentinel) closes its control interface within milliseconds
    const control = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for the control line (stderr so far:\n${out.stderr})`)), 30_000);
      const check = (): void => {
        const url = /control\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out.stderr)?.[1];
        if (!url) return;
        clearTimeout(timer);
        resolve(url);
      };
      proc.stderr!.on('data', check); // after spawnLab's listener: out.stderr has the chunk
      proc.once('exit', () => (clearTimeout(timer), resolve('exited')));
      check();
    });
    if (control === 'exited') throw new Error(`repl-spy lab exited with ${proc.exitCode}:\n${out.stderr}`);
    const status = (await (await fetch(`${control}/status`)).json()) as LabStatus;
    return new LabRun(proc, control, status, out, exit);
  }

  async fault(body: unknown): Promise<{ ok: boolean; result?: string; error?: string }> {
    const res = await fetch(`${this.control}/fault`, { method: 'POST', body: JSON.stringify(body) });
    return (await res.json()) as { ok: boolean; result?: string; error?: string };
  }

  async liveStatus(): Promise<LabStatus> {
    return (await (await fetch(`${this.control}/status`)).json()) as LabStatus;
  }

  /** A new authenticated connection to one of the lab's servers (closed by stop()). */
  async client(server: LabServerStatus): Promise<RespClient> {
    const t = this.status.tls;
    const tls = t && clientTlsFromFlags({ upstreamTls: true, upstreamCa: t.ca, upstreamCert: t.cert, upstreamKey: t.key });
    const c = await RespClient.connect(server.host, server.port, readFileSync(this.status.passwordFile, 'utf8').trim(), { tls });
    this.clients.push(c);
    return c;
  }

  async cmd(server: LabServerStatus, ...args: (string | number)[]): Promise<Reply> {
    const c = await this.client(server);
    try {
      return await c.send(args);
    } finally {
      c.close();
    }
  }

  async waitEvent(pred: (e: LabEvent) => boolean, timeoutMs: number, what: string, from = 0): Promise<LabEvent> {
    return until(() => this.events.slice(from).find(pred), timeoutMs, () => `${what}\n--- last events ---\n${this.events.slice(-15).map((e) => JSON.stringify(e)).join('\n')}\n--- stderr ---\n${this.stderr}`);
  }

  /** Waits for the process to end by itself (`--duration`). */
  ended(): Promise<{ code: number | null; signal: string | null }> {
    for (const c of this.clients) c.close();
    return this.exit;
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<{ code: number | null; signal: string | null }> {
    for (const c of this.clients) c.close();
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exit;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function until<T>(get: () => T | undefined | null | false, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `repl-spy lab --json --no-capture ARGS`: its events (stdout's JSON lines), its stderr, its exit. `env`: added
 *  to this process's environment. */
export function spawnLab(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; out: Output; exit: Promise<{ code: number | null; signal: string | null }> } {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const proc = spawn(process.execPath, [cli, 'lab', '--json', '--no-capture', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const out: Output = { events: [], stderr: '' };
  let pending = '';
  proc.stdout!.setEncoding('utf8').on('data', (text: string) => {
    pending += text;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (line.trim()) out.events.push(JSON.parse(line) as LabEvent);
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, out, exit };
}
