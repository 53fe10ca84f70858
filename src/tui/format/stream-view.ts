import { currentRate, rateHistory, type RateSeries } from '../model/rates.js';
import type { TuiState } from '../model/state.js';
import { isPaused, visibleCommands, type UiState } from '../model/ui.js';
import { sparkline } from './bar.js';
import { commandHeader, commandRow } from './command-row.js';
import { fit, fitRight, spread } from './text.js';
import { formatByteRate, formatCount } from './units.js';

// The stream view: rates per link with sparklines over the last minutes, then the live commands across
// links (newest on top), filtered; only the rows that fit are built.

export function rateLine(label: string, r: RateSeries, now: number, width: number): string {
  const cmds = `${formatCount(currentRate(r, now, 'commands'))}/s`;
  const bytes = formatByteRate(currentRate(r, now, 'bytes'));
  const left = `${fit(label, 24)} ${fitRight(cmds, 8)} ${fitRight(bytes, 11)} `;
  const sparkW = Math.max(0, width - left.length);
  return fit(left + sparkline(rateHistory(r, now, 'commands'), sparkW), width);
}

export function streamLines(s: TuiState, ui: UiState, width: number, height: number): { lines: string[]; selected: number | null } {
  const lines: string[] = [];
  // Rates take at most a third of the screen: the total first, then the links.
  const rateRows = Math.max(1, Math.min(s.replicas.size + 1, Math.floor(height / 3)));
  lines.push(fit(`${fit('RATES (3 min)', 24)} ${fitRight('cmd', 8)} ${fitRight('bytes', 11)} commands per second`, width));
  lines.push(rateLine('all links', s.rates, s.now, width));
  for (const r of s.replicas.values()) {
    if (lines.length > rateRows) break;
    lines.push(rateLine(`#${r.link} ${r.replicaAddr}`, r.rates, s.now, width));
  }
  const state = isPaused(ui) ? 'PAUSED (space resumes)' : 'live';
  const filter = ui.filter.text === '' ? 'filter: none (/ to set)' : `filter: ${ui.filter.text}`;
  lines.push(fit(spread(filter, state, width), width));
  lines.push(commandHeader(width, true));
  const rows = Math.max(0, height - lines.length);
  const visible = visibleCommands(ui, s, ui.streamScroll, rows);
  const first = lines.length;
  for (const e of visible) lines.push(commandRow(e, width, true));
  if (visible.length === 0) lines.push(fit(s.commands.size === 0 ? '  (no commands yet)' : '  (no command matches the filter)', width));
  while (lines.length < height) lines.push(fit('', width));
  return { lines: lines.slice(0, height), selected: isPaused(ui) && visible.length > 0 ? first : null };
}
