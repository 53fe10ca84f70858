// The report model as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched, so it opens
// anywhere (and offline); every number of the pictures is also in a table, for readers without a browser.
import { formatByteRate, formatBytes, formatDuration } from '../tui/format/units.js';
import { lagSvg, rateSvg, type RateSeries } from './charts-svg.js';
import { ALL, OTHER } from './command-stats.js';
import { CLUSTER_SLOTS } from '../core/key-slot.js';
import type { LinkRow, ReportModel, RdbReport } from './report-model.js';
import { esc, utcClock, utcDateTime, PALETTE } from './svg.js';
import { MAX_CLOSE_UPS, PHASE_COLORS, syncCloseUps, timelineSvg } from './timeline-svg.js';

/** Command names drawn in the rate chart; the rest is one band. */
const RATE_NAMES = 8;
const SLOT_RANGES = 16;

export function renderReport(m: ReportModel): string {
  const body = [header(m), timelineSection(m), lagSection(m), commandsSection(m), rdbSection(m), problemsSection(m)].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(m.title)}</title>
<style>${STYLE}</style></head>
<body>
${body}
<footer>Made by repl-spy from the decoded replication events. Times are UTC.</footer>
</body></html>
`;
}

function header(m: ReportModel): string {
  const p = m.problems.counts;
  const c = m.commands;
  const facts: [string, string][] = [
    ['source', m.source],
    ['from', utcDateTime(m.startAt)],
    ['to', `${utcDateTime(m.endAt)} (${formatDuration(m.endAt - m.startAt)})`],
    ['links', `${m.linksSeen}${m.linksOmitted > 0 ? ` (the ${m.links.length} latest are drawn)` : ''}, replicas ${m.replicas.length}`],
    ['syncs', `${m.syncs.full} full, ${m.syncs.partial} partial, ${m.snapshots.length} snapshots shared by several replicas${m.syncs.loops > 0 ? `, ${m.syncs.loops} sync-loop warnings` : ''}`],
    ['commands', `${c.total.count} (${formatBytes(c.total.bytes)}), counted once per master stream`],
    ['faults', String(m.syncs.faults)],
    ['not decoded', `${p.violations} protocol violations, ${p.gaps} gaps (${formatBytes(p.gapBytes)}), ${p.resyncs} resyncs, ${p.captureLosses} capture losses, ${p.rdbErrors} RDB errors`],
  ];
  return `<header><h1>${esc(m.title)}</h1>${factTable(facts)}</header>`;
}

function timelineSection(m: ReportModel): string {
  const legend = Object.entries(PHASE_COLORS)
    .filter(([name]) => name !== 'waiting for the fork')
    .map(([name, color]) => `<span><i style="background:${color}"></i>${esc(name === 'waiting for BGSAVE' ? 'waiting for BGSAVE / fork' : name)}</span>`)
    .join('');
  const marks = '<span><i class="m-fault"></i>fault</span><span><i class="m-close"></i>link closed</span><span><i class="m-silence"></i>no ACK</span><span><i class="m-violation"></i>violation</span><span><i class="m-gap"></i>gap</span><span><i class="m-resync"></i>decoding resumed</span>';
  const snapshots = m.snapshots.length === 0
    ? '<p>No snapshot was shared by several replicas.</p>'
    : table(
        ['snapshot', 'links', 'replid', 'offset', 'waited from', 'first RDB byte', 'wait'],
        m.snapshots.map((s) => [String(s.snapshot), s.links.map((l) => `#${l}`).join(' '), s.replid, String(s.offset), utcClock(s.startAt), utcClock(s.endAt), formatDuration(s.endAt - s.startAt)]),
      );
  return section(
    'timeline',
    'Timeline of every link',
    (m.linksOmitted > 0 ? `<p class="note">${m.linksOmitted} earlier closed links are not drawn (only the latest ${m.links.length} are kept).</p>` : '') +
      `<div class="legend">${legend}${marks}</div>` +
      `<div class="scroll">${timelineSvg(m.links, m.snapshots, m.startAt, m.endAt)}</div>` +
      closeUps(m) +
      '<h3>Shared snapshots (one bar across their replicas)</h3>' +
      snapshots +
      '<h3>Links</h3>' +
      linksTable(m.links),
  );
}

function closeUps(m: ReportModel): string {
  const { closeUps: ups, omitted } = syncCloseUps(m);
  if (ups.length === 0) return '';
  return (
    `<h3>Each sync up close</h3>${omitted > 0 ? `<p class="note">The first ${MAX_CLOSE_UPS} syncs (${omitted} more); every link is in the timeline above and the table below.</p>` : ''}` +
    ups
      .map((u) => `<h4>${esc(u.title)} <small>${esc(utcClock(u.startAt))}, ${esc(formatDuration(u.endAt - u.startAt))}</small></h4><div class="scroll">${timelineSvg(u.links, u.snapshot ? [u.snapshot] : [], u.startAt, u.endAt, 'close-up')}</div>`)
      .join('')
  );
}

function linksTable(rows: LinkRow[]): string {
  return table(
    ['link', 'replica', 'socket', 'master', 'opened', 'closed', 'sync', 'reason', 'snapshot wait', 'RDB', 'transfer', 'load', 'commands', 'events on the link'],
    rows.map((r) => [
      `#${r.link}${r.rdbLink !== null ? ` (+#${r.rdbLink} RDB channel)` : ''}`,
      r.replica,
      r.replicaAddr,
      r.master,
      utcClock(r.openAt),
      r.closeAt === null ? 'open' : `${utcClock(r.closeAt)} by ${r.closeReason ?? '?'}`,
      r.sync ?? '-',
      (r.reason ?? '') + (r.loop ? ` — sync loop: ${r.loop}` : ''),
      r.rdb?.waitMs == null ? '-' : formatDuration(r.rdb.waitMs),
      r.rdb ? `${r.rdb.mode} ${formatBytes(r.rdb.bytes)}` : '-',
      r.rdb?.durationMs == null ? '-' : `${formatDuration(r.rdb.durationMs)} ${r.rdb.bytesPerSec === null ? '' : formatByteRate(r.rdb.bytesPerSec)}`,
      r.loadMs === null ? '-' : formatDuration(r.loadMs),
      String(r.commands),
      [...r.marks.map((x) => `${utcClock(x.at)} ${x.kind}: ${x.text}`), ...r.silences.map((s) => `${utcClock(s.fromAt)} no ACK for ${formatDuration(s.toAt - s.fromAt)}`)].join('; '),
    ]),
    'links',
  );
}

function lagSection(m: ReportModel): string {
  if (m.replicas.length === 0) return section('lag', 'Lag per replica', '<p>No replica acknowledged anything.</p>');
  const charts = m.replicas
    .filter((r) => r.seriesKey !== null)
    .map((r) => {
      const silences = m.links.filter((l) => r.links.includes(l.link)).flatMap((l) => l.silences);
      const ms = m.lagSeries.view(`${r.seriesKey}|ms`);
      const bytes = m.lagSeries.view(`${r.seriesKey}|bytes`);
      return `<h3>${esc(r.replica)} <small>links ${r.links.map((l) => `#${l}`).join(' ')}</small></h3><div class="scroll">${lagSvg(r.replica, m.startAt, m.endAt, ms, bytes, silences)}</div>`;
    });
  const silences = m.links.flatMap((l) => l.silences.map((s) => ({ link: l.link, replica: l.replica, ...s })));
  return section(
    'lag',
    'Lag per replica',
    '<p>Lag in ms: the age of the oldest byte forwarded to the replica and not acknowledged; in bytes: forwarded minus acknowledged. Maximum per interval; shaded: no ACK for too long.</p>' +
      table(
        ['replica', 'links', 'max lag', 'max lag bytes', 'ACK silences', 'longest ended silence'],
        m.replicas.map((r) => [r.replica, r.links.map((l) => `#${l}`).join(' '), formatDuration(r.maxLagMs), formatBytes(r.maxLagBytes), String(r.silences), formatDuration(r.longestSilenceMs)]),
      ) +
      charts.join('') +
      (silences.length === 0
        ? ''
        : '<h3>ACK silences</h3>' +
          table(
            ['link', 'replica', 'last ACK', 'until', 'silent'],
            silences.map((s) => [`#${s.link}`, s.replica, utcClock(s.fromAt), s.ended ? utcClock(s.toAt) : `${utcClock(s.toAt)} (link ended)`, formatDuration(s.toAt - s.fromAt)]),
          )),
  );
}

function commandsSection(m: ReportModel): string {
  const c = m.commands;
  if (c.total.count === 0) return section('commands', 'Commands', '<p>No propagated command.</p>');
  const share = (count: number) => `${((100 * count) / c.total.count).toFixed(1)} %`;
  const drawn = c.byName.filter((x) => x.name !== OTHER).slice(0, RATE_NAMES).map((x) => x.name);
  const series: RateSeries[] = drawn.map((name) => ({ name, view: c.rates.view(name)! }));
  const all = c.rates.view(ALL)!;
  const drawnCounts = series.map((s) => s.view.values);
  const rest = all.values.map((v, i) => (Number.isNaN(v) ? NaN : v - drawnCounts.reduce((sum, vs) => sum + (Number.isNaN(vs[i]) ? 0 : vs[i]), 0)));
  if (rest.some((v) => v > 0)) series.push({ name: 'other commands', view: { ...all, values: rest } });
  const legend = series.map((s, k) => `<span><i style="background:${PALETTE[k % PALETTE.length]}"></i>${esc(s.name)}</span>`).join('');
  const width = Math.ceil(CLUSTER_SLOTS / SLOT_RANGES);
  const slotRows = Array.from({ length: SLOT_RANGES }, (_, k) => {
    let count = 0;
    for (let s = k * width; s < (k + 1) * width; s++) count += c.slots[s];
    return [`${k * width}-${(k + 1) * width - 1}`, String(count)];
  });
  const ratePerSec = (count: number) => `${(count / Math.max(0.001, (m.endAt - m.startAt) / 1000)).toFixed(1)}/s`;
  return section(
    'commands',
    'Commands',
    `<p>${c.total.count} commands (${formatBytes(c.total.bytes)}) written by the master${c.duplicates > 0 ? `; the ${c.duplicates} copies other replicas of the same master received are not counted again` : ''}. Per second, stacked by command:</p>` +
      `<div class="legend">${legend}</div><div class="scroll">${rateSvg(m.startAt, m.endAt, series)}</div>` +
      '<div class="cols"><div><h3>Top commands</h3>' +
      table(['command', 'count', 'share', 'average rate', 'bytes'], c.byName.slice(0, 30).map((x) => [x.name, String(x.count), share(x.count), ratePerSec(x.count), formatBytes(x.bytes)])) +
      `</div><div><h3>Top key prefixes</h3><p class="note">The key up to its first ':' (the first argument; commands without a key left out)${c.prefixesApproximate ? '; approximate: with many prefixes the rarer ones were forgotten, so a count may be short by up to the given error' : ''}.</p>` +
      table(['prefix', 'commands', c.prefixesApproximate ? 'error up to' : 'share'], c.prefixes.slice(0, 30).map((p) => [p.name, String(p.count), c.prefixesApproximate ? String(p.error) : share(p.count)])) +
      '</div><div><h3>Per db</h3>' +
      table(['db', 'commands', 'share', 'bytes'], c.byDb.map((x) => [x.db, String(x.count), share(x.count), formatBytes(x.bytes)])) +
      '</div></div>' +
      `<details${m.cluster ? ' open' : ''}><summary>Per cluster slot range${m.cluster ? '' : ' (meaningful when the master is a cluster node)'}</summary>` +
      table(['slots', 'commands'], slotRows) +
      '</details>',
  );
}

function rdbSection(m: ReportModel): string {
  if (m.rdbs.length === 0) return section('rdb', 'RDB snapshots', '<p>No RDB was analysed (none was sent, or the analysis was off).</p>');
  return section('rdb', 'RDB snapshots', m.rdbs.map(rdbSummary).join('') + (m.rdbsOmitted > 0 ? `<p class="note">${m.rdbsOmitted} more snapshots not shown.</p>` : ''));
}

function rdbSummary(r: RdbReport): string {
  const i = r.info;
  const str = (v: unknown) => (v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));
  const facts: [string, string][] = [
    ['received by', r.links.map((l) => `#${l}`).join(' ')],
    ['at', utcClock(r.at)],
    ['format', `${str(i.magic)} version ${str(i.version)}${i.flavor === 'valkey' ? ' (Valkey)' : ''}, written by ${str(i.serverVersion)}`],
    ['replid / offset', `${str(i.replId)} / ${str(i.replOffset)}`],
    ['size', typeof i.bytes === 'number' ? formatBytes(i.bytes) : str(i.bytes)],
    ['keys', `${str(i.keys)} (${str(i.keysWithExpiry)} with an expiry, ${str(i.emptyKeys)} empty)`],
    ['checksum', str(i.checksum)],
    ['complete', str(i.complete)],
  ];
  const dbs = Object.entries((i.dbs ?? {}) as Record<string, { keys: number; expires: number; types: Record<string, number> }>);
  const types = Object.entries((i.types ?? {}) as Record<string, Record<string, number>>).flatMap(([type, enc]) => Object.entries(enc).map(([e, count]) => [type, e, String(count)]));
  const largest = (i.largestKeys ?? []) as { db: number; key: string; type: string; encoding: string; bytes: number }[];
  return (
    `<div class="rdb"><h3>Snapshot received by ${esc(r.links.map((l) => `#${l}`).join(' '))}</h3>${factTable(facts)}<div class="cols">` +
    '<div><h4>Keys per db and type</h4>' +
    table(['db', 'keys', 'expires', 'types'], dbs.map(([db, d]) => [db, String(d.keys), String(d.expires), Object.entries(d.types).map(([t, k]) => `${t} ${k}`).join(', ')])) +
    '</div><div><h4>Encodings</h4>' +
    table(['type', 'encoding', 'keys'], types) +
    '</div><div><h4>Largest keys</h4>' +
    table(['db', 'key', 'type', 'encoding', 'bytes in the RDB'], largest.map((k) => [String(k.db), k.key, k.type, k.encoding, formatBytes(k.bytes)])) +
    '</div></div></div>'
  );
}

function problemsSection(m: ReportModel): string {
  const p = m.problems;
  const listed = (shown: number, all: number) => (all > shown ? `<p class="note">${all - shown} more not listed.</p>` : '');
  const offset = (o: number | null) => (o === null ? '-' : String(o));
  const parts: string[] = [];
  if (p.counts.violations > 0) {
    parts.push(
      '<h3>Protocol violations (decoding of that direction stopped; forwarding did not)</h3>' +
        table(['at', 'link', 'from', 'code', 'byte position', 'after offset', 'message', 'bytes (hex)'], p.violations.map((v) => [utcClock(v.at), `#${v.link}`, v.from, v.code, String(v.pos), offset(v.offset), v.message, v.excerptHex])) +
        listed(p.violations.length, p.counts.violations),
    );
  }
  if (p.counts.gaps > 0) {
    parts.push(
      '<h3>Gaps (bytes missing from the input)</h3>' +
        table(['at', 'link', 'from', 'bytes', 'after offset', 'reason'], p.gaps.map((g) => [utcClock(g.at), `#${g.link}`, g.from, String(g.bytes), offset(g.offset), g.reason])) +
        listed(p.gaps.length, p.counts.gaps),
    );
  }
  if (p.counts.resyncs > 0) {
    parts.push(
      '<h3>Decoding resumed after a gap</h3>' +
        table(['at', 'link', 'from', 'byte position', 'bytes skipped'], p.resyncs.map((r) => [utcClock(r.at), `#${r.link}`, r.from, String(r.pos), String(r.skipped)])) +
        listed(p.resyncs.length, p.counts.resyncs),
    );
  }
  if (p.counts.captureLosses > 0) {
    parts.push(
      '<h3>Bytes missing from the capture file (forwarded and decoded all the same)</h3>' +
        table(['from', 'until', 'link', 'direction', 'byte position', 'bytes', 'reason'], p.captureLosses.map((l) => [utcClock(l.sinceAt), utcClock(l.untilAt), `#${l.link}`, l.from, String(l.pos), String(l.bytes), l.reason])) +
        listed(p.captureLosses.length, p.counts.captureLosses),
    );
  }
  if (p.counts.rdbErrors > 0) {
    parts.push('<h3>RDB analysis errors</h3>' + table(['at', 'link', 'error'], p.rdbErrors.map((e) => [utcClock(e.at), `#${e.link}`, JSON.stringify(e.info)])) + listed(p.rdbErrors.length, p.counts.rdbErrors));
  }
  return section('problems', 'What could not be decoded', parts.length > 0 ? parts.join('') : '<p>Everything was decoded: no violation, gap or loss.</p>');
}

function section(id: string, title: string, content: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${content}</section>`;
}

function factTable(facts: [string, string][]): string {
  return `<table class="facts">${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function table(columns: string[], rows: string[][], cls = ''): string {
  if (rows.length === 0) return '<p class="note">none</p>';
  const head = `<tr>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table${cls ? ` class="${cls}"` : ''}><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:16px 24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ccc}h3{font-size:14px;margin:16px 0 6px}h4{font-size:13px;margin:8px 0 4px}
small{color:#666;font-weight:normal}
table{border-collapse:collapse;margin:4px 0 8px}th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}
table.facts th{width:110px}table.links td:nth-child(8){min-width:300px}table.links td:last-child{min-width:200px;max-width:420px}
.note{color:#666}.scroll{overflow-x:auto}
.cols{display:flex;flex-wrap:wrap;gap:24px}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px}
.legend .m-fault{background:#e15759;clip-path:polygon(0 0,100% 0,50% 100%)}.legend .m-close{width:2px;background:#222}
.legend .m-silence{height:4px;vertical-align:2px;background:#e15759}.legend .m-violation{background:#000;transform:rotate(45deg) scale(.75)}
.legend .m-gap{background:#9c755f}.legend .m-resync{background:#4e79a7;border-radius:50%}
svg text{font:11px system-ui,sans-serif;fill:#222}svg text.axis{fill:#666;font-size:10px}svg text.sync{fill:#555}svg text.bar-label{font-weight:bold}
svg .tick{stroke:#eee}svg .close{stroke:#222;stroke-width:2}svg .silence{fill:#e15759}svg .silence-band{fill:#e15759;opacity:.15}
svg .panel{fill:#fafafa;stroke:#ddd}svg .line{fill:none;stroke-width:1.5}svg .area{opacity:.9}
footer{margin-top:32px;color:#888}
`;
