// A real headless Chromium for the tests, driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
// NUL-separated JSON on the child's fds 3 and 4), so no browser download and no WebSocket client are needed.
// Every console message, uncaught exception, log entry and network request of the page is recorded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { requireTool } from './require-tool.js';

/** CHROMIUM_BIN when set (and then only it), else chromium on PATH. */
export function findChromium(): string | null {
  const candidates = process.env.CHROMIUM_BIN ? [process.env.CHROMIUM_BIN] : ['chromium', 'chromium-browser'];
  return candidates.find((bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0) ?? null;
}

/** True when Chromium runs; without it the tests skip loudly, and under CI they fail. */
export function requireChromium(): boolean {
  return requireTool(findChromium() ? null : 'chromium not found (apt-get install chromium, or set CHROMIUM_BIN)', 'the browser tests');
}

export interface PageEvents {
  /** console messages of type error and assert, uncaught exceptions, log entries of level error */
  errors: string[];
  /** every request the page made (the document itself included) */
  requests: string[];
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: ((method: string, params: Record<string, unknown>) => void)[] = [];
  private session: string | null = null;
  readonly page: PageEvents = { errors: [], requests: [] };

  private constructor(
    private readonly proc: ChildProcess,
    private readonly dataDir: string,
    private readonly stderr: () => string,
  ) {
    const out = proc.stdio[4] as Readable;
    let buf = '';
    out.setEncoding('utf8').on('data', (text: string) => {
      buf += text;
      let end: number;
      while ((end = buf.indexOf('\0')) >= 0) {
        this.onMessage(JSON.parse(buf.slice(0, end)) as Record<string, unknown>);
        buf = buf.slice(end + 1);
      }
    });
    proc.once('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code}): ${this.stderr().slice(-2000)}`));
      this.pending.clear();
    });
  }

  /** Headless, sandbox off (containers), nothing that reaches the network by itself, a fresh profile. */
  static async launch(): Promise<Chromium> {
    const bin = findChromium();
    if (!bin) throw new Error('chromium not found');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-chromium-'));
    const args = [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-extensions', '--disable-default-apps', '--mute-audio',
      `--user-data-dir=${dataDir}`, '--remote-debugging-pipe', 'about:blank',
    ];
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const browser = new Chromium(proc, dataDir, () => err);
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
    browser.session = sessionId as string;
    browser.listeners.push((method, params) => browser.record(method, params));
    for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await browser.send(`${domain}.enable`);
    return browser;
  }

  /** Opens the URL and resolves once its load event fired. */
  async open(url: string, width = 1280, height = 900): Promise<void> {
    await this.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    const loaded = this.next('Page.loadEventFired', 30_000);
    const nav = await this.send('Page.navigate', { url });
    if (nav.errorText) throw new Error(`cannot open ${url}: ${String(nav.errorText)}`);
    await loaded;
  }

  /** A JavaScript expression's value in the page (JSON-able). */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
    return (r.result as { value: T }).value;
  }

  /** A PNG of the page's region `width` × `height` CSS pixels from `y` down. */
  async screenshot(width: number, height: number, y = 0): Promise<Buffer> {
    const r = await this.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true, clip: { x: 0, y, width, height, scale: 1 } });
    return Buffer.from(r.data as string, 'base64');
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => (this.proc.exitCode !== null ? resolve() : this.proc.once('exit', () => resolve())));
    try {
      await Promise.race([this.send('Browser.close', {}, false), exited]);
    } catch {
      // it may close the pipe before it answers
    }
    const killer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private send(method: string, params: Record<string, unknown> = {}, inSession = true): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = { id, method, params, ...(inSession && this.session ? { sessionId: this.session } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.proc.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  private next(method: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} within ${timeoutMs} ms`)), timeoutMs);
      const listener = (m: string) => {
        if (m !== method) return;
        clearTimeout(timer);
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        resolve();
      };
      this.listeners.push(listener);
    });
  }

  private onMessage(msg: Record<string, unknown>): void {
    if (typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(JSON.stringify(msg.error)));
      else p?.resolve((msg.result ?? {}) as Record<string, unknown>);
      return;
    }
    if (typeof msg.method === 'string') for (const l of [...this.listeners]) l(msg.method, (msg.params ?? {}) as Record<string, unknown>);
  }

  private record(method: string, params: Record<string, unknown>): void {
    if (method === 'Network.requestWillBeSent') this.page.requests.push(String((params.request as { url: string }).url));
    else if (method === 'Runtime.exceptionThrown') this.page.errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
    else if (method === 'Runtime.consoleAPICalled' && (params.type === 'error' || params.type === 'assert')) this.page.errors.push(`console.${String(params.type)}: ${JSON.stringify(params.args)}`);
    else if (method === 'Log.entryAdded' && (params.entry as { level: string }).level === 'error') this.page.errors.push(`log: ${JSON.stringify(params.entry)}`);
  }
}
