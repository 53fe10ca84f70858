// The report as HTML: self-contained (no script, nothing fetched), every link drawn, text escaped, the numbers in
// tables, and a size that does not grow with the number of commands or the length of the capture.
import { describe, expect, it } from 'vitest';
import type { ReplEvent } from '../../../src/core/events.js';
import { createPipeline } from '../../../src/decode/pipeline.js';
import { makeRdbSink } from '../../../src/decode/rdb-sink.js';
import { renderReport } from '../../../src/report/report-html.js';
import { ReportBuilder } from '../../../src/report/report-model.js';
import { resp } from '../../helpers/decode-case.js';
import { REPLID, sharedSnapshotSession } from '../../helpers/wire-script.js';

function htmlOf(extra: (s: ReturnType<typeof sharedSnapshotSession>) => void = () => undefined): string {
  const script = sharedSnapshotSession();
  extra(script);
  const pipeline = createPipeline({ rdbSink: makeRdbSink });
  const builder = new ReportBuilder({ title: 'lab <report>', source: 'a test' });
  pipeline.subscribe((e) => builder.observe(e));
  script.run(pipeline);
  return renderReport(builder.build(10_000));
}

/** The main timeline's SVG. */
function timeline(html: string): string {
  return /<svg class="timeline"[\s\S]*?<\/svg>/.exec(html)![0];
}

describe('report HTML', () => {
  const html = htmlOf();

  it('is one file that fetches nothing and runs nothing', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\s(src|href)=/i);
    // the only URL is the SVG namespace, which names and does not fetch
    expect(html.match(/https?:\/\/[^\s"]+/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('draws every link in the timeline, the shared snapshot as one bar, each sync up close', () => {
    const svg = timeline(html);
    expect([...svg.matchAll(/<g class="link" data-link="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([1, 2, 3]);
    expect(svg.match(/data-snapshot="1"/g)).toHaveLength(1);
    expect(html).toContain('snapshot 1: one BGSAVE/fork for links #1 #2');
    expect(html.match(/<svg class="close-up"/g)).toHaveLength(2); // the shared snapshot, the partial sync
  });

  it('has the numbers in tables, for a reader without pictures', () => {
    expect(html).toMatch(/<td>SET<\/td><td>2<\/td>/);
    expect(html).toMatch(/<td>user:\*<\/td><td>2<\/td>/);
    expect(html).toContain('<td>#1 #2</td>'); // the shared snapshot's links
    expect(html).toContain('first sync: the replica has no replication history (PSYNC ? -1)');
  });

  it('escapes what comes from the wire', () => {
    const hostile = htmlOf((s) => {
      s.send(2, 6100, 'master', resp('SET', '<img src=x onerror=alert(1)>:k', 'v'));
    });
    expect(hostile).not.toContain('<img');
    expect(hostile).toContain('&lt;img src=x onerror=alert(1)&gt;:*');
    expect(hostile).toContain('<title>lab &lt;report&gt;</title>');
  });
});

describe('report size', () => {
  /** A master stream of `commands` SETs with random key prefixes over `span` ms, to two replicas that ACK. */
  function sizeOf(commands: number, span: number): number {
    const b = new ReportBuilder({ title: 't', source: 's' });
    const t0 = 1_700_000_000_000;
    for (const link of [1, 2]) {
      b.observe({ type: 'link-open', at: t0, link, replica: `10.0.0.${link}:5000`, master: '10.0.0.9:6379' });
      b.observe({ type: 'continue', pos: 0, end: 0, at: t0 + 1, link, replid: REPLID, offset: 1 });
    }
    const key = Buffer.alloc(24);
    let seed = 1;
    for (let i = 0; i < commands; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      key.write(`p${seed % 100_000}:${i}`.padEnd(24, 'x'));
      const at = t0 + 2 + Math.floor((i / commands) * span);
      const e: ReplEvent = { type: 'command', pos: 0, end: 0, at, link: 1 + (i % 2), offset: i + 1, db: 0, argv: [Buffer.from('SET'), key, key], bytes: 70 };
      b.observe(e);
      // each replica ACKs about once a minute of capture time
      const ackEvery = Math.max(1, Math.floor(commands / (span / 60_000)));
      if (i % ackEvery === 0) b.observe({ type: 'ack', pos: 0, end: 0, at, link: 1 + (i % 2), offset: i, lagBytes: seed % 5000, lagMs: seed % 900 });
    }
    return renderReport(b.build(t0 + span)).length;
  }

  it('does not grow with the commands or the length of the capture: series are downsampled, lists capped', () => {
    // spans that fill every bucket (480 of 256 s, and of 2048 s): 4× the commands over 8× the time change only
    // the values (digits of coordinates, time ticks), not how many there are
    const dayAndHalf = sizeOf(100_000, 480 * 256_000);
    const elevenDays = sizeOf(400_000, 480 * 2_048_000);
    expect(elevenDays).toBeLessThan(dayAndHalf * 1.15);
    expect(elevenDays).toBeLessThan(512 * 1024);
  });
});

describe('report of a sync loop', () => {
  it('thousands of links: the latest are drawn, the others counted, and the file stays small', () => {
    const b = new ReportBuilder({ title: 't', source: 's' });
    const t0 = 1_700_000_000_000;
    const links = 3000;
    for (let link = 1; link <= links; link++) {
      const at = t0 + link * 1000;
      b.observe({ type: 'link-open', at, link, replica: `10.0.0.2:${40000 + (link % 20000)}`, master: '10.0.0.9:6379' });
      b.observe({ type: 'replica-command', at, link, argv: ['REPLCONF', 'listening-port', '6380'], pos: 0, end: 0 });
      b.observe({ type: 'psync', pos: 0, end: 0, at: at + 1, link, replid: '?', offset: -1 });
      b.observe({ type: 'fullresync', pos: 0, end: 0, at: at + 2, link, replid: REPLID, offset: link * 100, reasonCode: 'outside-backlog', reason: 'offset outside the backlog' });
      b.observe({ type: 'rdb-start', pos: 0, end: 0, at: at + 300, link, mode: 'disk', size: 1e6, waitMs: 298, keepalives: 0 });
      b.observe({ type: 'rdb-end', pos: 0, end: 0, at: at + 600, link, bytes: 5e5, durationMs: 300, bytesPerSec: 1.6e6 });
      b.observe({ type: 'link-close', at: at + 601, link, by: 'master', reason: 'closed by the master' });
    }
    const m = b.build(t0 + (links + 1) * 1000);
    expect(m.linksSeen).toBe(links);
    expect(m.links.length).toBeLessThanOrEqual(500);
    expect(m.links.at(-1)!.link).toBe(links); // the latest are kept
    expect(m.linksOmitted).toBe(links - m.links.length);
    const html = renderReport(m);
    expect(html).toContain(`${m.linksOmitted} earlier closed links are not drawn`);
    expect(html.length).toBeLessThan(5_000_000);
  });
});
