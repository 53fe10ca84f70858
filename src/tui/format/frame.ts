import { clientSummary } from '../model/clients.js';
import { currentRate } from '../model/rates.js';
import { linksItems, replicaCount, replicaTag } from '../model/links.js';
import type { TuiState } from '../model/state.js';
import { isPaused, shownSelection, type UiState } from '../model/ui.js';
import { detailSegments } from './detail-view.js';
import { helpLines } from './help-view.js';
import { sliceLines, totalLines } from './lines.js';
import { linksHeader, linksLines } from './links-view.js';
import { streamLines } from './stream-view.js';
import { fit, spread } from './text.js';
import { formatByteRate, formatClock, formatCount, formatDuration } from './units.js';

// The whole screen as text: a header, the current view, a footer with keys. Pure, and it only reads the models:
// the screen module paints these lines, so what a test reads here is what the terminal shows.

export interface FrameInput {
  width: number;
  height: number;
  label: string;
  replay: { speed: number; paused: boolean; ended: boolean } | null;
  /** fault keys work (live, with a fault control) */
  faults: boolean;
}

export interface Frame {
  lines: string[];
  /** rows to paint in reverse video: header, footer, selection */
  highlight: number[];
}

/** Lines the detail view can scroll down by at this size (the update keeps its scroll within them). */
export function detailScrollLimit(s: TuiState, ui: UiState, width: number, height: number): number {
  const r = ui.detailLink === null ? undefined : s.owner.get(ui.detailLink);
  if (!r) return 0;
  return Math.max(0, totalLines(detailSegments(r, replicaTag(s, r), s.now, Math.max(20, width))) - (Math.max(5, height) - 2));
}

export function renderFrame(s: TuiState, ui: UiState, input: FrameInput): Frame {
  const width = Math.max(20, input.width);
  const height = Math.max(5, input.height);
  const bodyH = height - 2;
  const body = bodyLines(s, ui, width, bodyH, input);
  const lines = [headerLine(s, ui, input, width), ...body.lines, footerLine(ui, input, width)];
  const highlight = [0, height - 1];
  if (body.selected !== null) highlight.push(body.selected + 1);
  return { lines, highlight };
}

function headerLine(s: TuiState, ui: UiState, input: FrameInput, width: number): string {
  const view = ui.help ? 'help' : ui.view === 'detail' ? `detail #${ui.detailLink}` : ui.view;
  const left = ` repl-spy [${view}] ${input.label}`;
  const replay = input.replay ? `  replay ${replayState(input.replay)}` : '';
  const replicas = replicaCount(s);
  const rates = `${replicas} replica${replicas === 1 ? '' : 's'}  ${formatCount(currentRate(s.rates, s.now, 'commands'))} cmd/s  ${formatByteRate(currentRate(s.rates, s.now, 'bytes'))}`;
  const clock = s.firstAt === null ? '' : `  ${formatClock(s.now)}`;
  const losing = s.captureLosing.size > 0 ? `  CAPTURE LOSING DATA (${[...s.captureLosing.values()][0]})` : '';
  return fit(spread(left + losing, `${rates}${replay}${clock} `, width), width);
}

function replayState(r: NonNullable<FrameInput['replay']>): string {
  if (r.ended) return 'ended (end of capture)';
  if (r.paused) return 'paused';
  return Number.isFinite(r.speed) ? `x${r.speed}` : 'max';
}

function footerLine(ui: UiState, input: FrameInput, width: number): string {
  if (ui.editing !== null) {
    const hint = ui.message ?? 'Enter apply  Esc cancel   e.g. set key:user:* db:0 link:2 slot:100-200';
    return fit(spread(` /${ui.editing}_`, hint + ' ', width), width);
  }
  if (ui.message) return fit(` ${ui.message}`, width);
  const keys = ui.help
    ? ['Esc close', 'q quit']
    : [
        'j/k move',
        ui.view === 'detail' ? 'Esc back' : 'Enter detail',
        'Tab view',
        '/ filter',
        `Space ${isPaused(ui) ? 'resume' : 'pause'}`,
        ...(input.replay ? ['+/- speed'] : []),
        ...(input.faults && ui.view !== 'stream' ? ['x/f/d/b fault'] : []),
        '? help',
        'q quit',
      ];
  // Drop keys from the middle rather than cutting "? help" and "q quit" off the end.
  while (keys.length > 2 && ' '.concat(keys.join('  ')).length > width) keys.splice(keys.length - 3, 1);
  return fit(' ' + keys.join('  '), width);
}

function bodyLines(s: TuiState, ui: UiState, width: number, height: number, input: FrameInput): { lines: string[]; selected: number | null } {
  if (ui.help) return pad(helpLines(width, input.replay !== null, input.faults).slice(0, height), width, height, null);
  if (ui.view === 'stream') return streamLines(s, ui, width, height);
  if (ui.view === 'detail') {
    const r = ui.detailLink === null ? undefined : s.owner.get(ui.detailLink);
    if (!r) return pad([fit('  (this link is gone)', width)], width, height, null);
    const segments = detailSegments(r, replicaTag(s, r), s.now, width);
    const scroll = Math.min(ui.detailScroll, Math.max(0, totalLines(segments) - height));
    return pad(sliceLines(segments, scroll, height), width, height, null);
  }
  return linksBody(s, ui, width, height);
}

function linksBody(s: TuiState, ui: UiState, width: number, height: number): { lines: string[]; selected: number | null } {
  const items = linksItems(s);
  const clients = clientSummary(s.clients);
  const footer = clients === null ? [] : [fit(`  ${clients}`, width)];
  if (items.length === 0) return pad([linksHeader(width, s.replicaNumber !== null), fit('  waiting for replicas to connect…', width), ...footer], width, height, null);
  const { lines, firstLine } = linksLines(items, width);
  lines.push(...footer); // the client links, summarised, below the replicas
  const selected = shownSelection(ui, s);
  const sel = selected === null ? 0 : (firstLine.get(selected) ?? 0);
  // a failover's latest steps under the replicas, in at most a third of the screen
  const story = failoverLines(s, width, Math.floor(height / 3));
  const rows = height - 1 - story.length;
  // Scroll just enough to keep both lines of the selected replica visible.
  const start = Math.max(0, sel + 2 - rows);
  const visible = lines.slice(start, start + rows);
  const body = pad([linksHeader(width, s.replicaNumber !== null), ...visible], width, height - story.length, sel - start + 1);
  return { lines: [...body.lines, ...story], selected: body.selected };
}

/** The last failover steps, oldest first, with their times since the master died. */
function failoverLines(s: TuiState, width: number, max: number): string[] {
  const n = Math.min(s.failover.size, max - 1);
  if (n <= 0) return [];
  const out = [fit('FAILOVER', width)];
  for (let i = n - 1; i >= 0; i--) {
    const e = s.failover.fromNewest(i)!;
    out.push(fit(`  ${formatClock(e.at)} ${e.sinceMs === null ? '' : `+${formatDuration(e.sinceMs)} `}${e.step}: ${e.detail}`, width));
  }
  return out;
}

function pad(lines: string[], width: number, height: number, selected: number | null): { lines: string[]; selected: number | null } {
  const out = lines.slice(0, height);
  while (out.length < height) out.push(fit('', width));
  return { lines: out, selected };
}
