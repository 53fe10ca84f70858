// The incident report of a real lab run (three replicas sharing one BGSAVE, a cut, a freeze) opened in a real
// headless Chromium: it loads with no console error and no network request, its timeline shows every link, and it
// has no script to run. `repl-spy report` of the capture and the lab's own `--report` at exit show the same links.
// REPORT_SCREENSHOT=docs/report-lab.png writes the screenshot there (how the one in docs/ is made).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chromium, requireChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { requireRedis } from '../helpers/redis.js';
import { repoRoot } from '../helpers/repo-root.js';
import { LabRun } from './lab-harness.js';

const ready = requireRedis() && requireChromium();

describe.skipIf(!ready)('the report in a browser', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-report-'));
  const capture = path.join(dir, 'lab.rspy');
  const fromCapture = path.join(dir, 'report.html');
  const atExit = path.join(dir, 'live.html');
  let links: number[] = [];
  let browser: Chromium;

  beforeAll(async () => {
    const lab = await LabRun.start([
      '--replicas', '3', '--keys', '3000', '--rate', '100', '--duration', '14',
      '--fault', 'replica=2,after=6s,cut', '--fault', 'replica=1,after=8s,freeze=3s',
      '--capture', capture, '--report', atExit,
    ]);
    const exit = await lab.ended();
    expect(exit.code, lab.stderr).toBe(0);
    links = lab.events.filter((e) => e.type === 'link-open').map((e) => e.link);
    expect(links.length).toBeGreaterThanOrEqual(4); // three replicas and the cut one back
    // relative: the report names its capture as given
    const report = runCli(['report', 'lab.rspy', '-o', 'report.html'], { cwd: dir });
    expect((await report.exited).code, report.stderr()).toBe(0);
    expect(report.stderr()).toMatch(/report .*report\.html \(\d+ bytes\)/);
    browser = await Chromium.launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no console error, fetches nothing and runs no script', async () => {
    const url = pathToFileURL(fromCapture).href;
    await browser.open(url);
    expect(browser.page.errors).toEqual([]);
    expect(browser.page.requests).toEqual([url]);
    expect(await browser.evaluate<number>('document.scripts.length')).toBe(0);
    expect(statSync(fromCapture).mode & 0o777).toBe(0o600);
  });

  it('its timeline shows every link of the capture, each row drawn, the shared BGSAVE as one bar', async () => {
    const rows = await browser.evaluate<{ link: number; width: number; height: number }[]>(
      `[...document.querySelectorAll('svg.timeline g.link')].map((g) => { const r = g.getBoundingClientRect(); return { link: Number(g.dataset.link), width: r.width, height: r.height }; })`,
    );
    expect(rows.map((r) => r.link).sort((a, b) => a - b)).toEqual([...links].sort((a, b) => a - b));
    for (const r of rows) {
      expect(r.width).toBeGreaterThan(100);
      expect(r.height).toBeGreaterThan(10);
    }
    const bar = await browser.evaluate<{ links: string; height: number } | null>(
      `(() => { const g = document.querySelector('svg.timeline g.snapshot'); return g && { links: g.querySelector('title').textContent, height: g.getBoundingClientRect().height }; })()`,
    );
    expect(bar?.links).toMatch(/one BGSAVE\/fork for 3 replicas/);
    expect(bar!.height).toBeGreaterThan(2 * 20); // across the three rows
  });

  it('the tables give the numbers without the pictures', async () => {
    const text = await browser.evaluate<string>(`document.querySelector('#timeline table.links').innerText`);
    for (const link of links) expect(text).toContain(`#${link}`);
    expect(await browser.evaluate<string>(`document.querySelector('#rdb').innerText`)).toMatch(/checksum\s+verified/);
  });

  it('a screenshot of the lab report', async () => {
    const png = await browser.screenshot(1280, 1500);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(50_000); // a page of pictures and tables, not a blank one
    const out = process.env.REPORT_SCREENSHOT;
    if (out) writeFileSync(path.resolve(repoRoot, out), png);
  });

  it('the lab wrote its own report at exit, with the same links', () => {
    const timelineLinks = (file: string) => {
      const svg = /<svg class="timeline"[\s\S]*?<\/svg>/.exec(readFileSync(file, 'utf8'))![0];
      return [...svg.matchAll(/<g class="link" data-link="(\d+)"/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    };
    expect(timelineLinks(atExit)).toEqual([...links].sort((a, b) => a - b));
    expect(timelineLinks(atExit)).toEqual(timelineLinks(fromCapture));
  });
});
