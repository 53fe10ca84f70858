import type { CommandEntry } from './command-entry.js';
import type { LinkFault } from '../../core/fault-action.js';
import { BANDWIDTH_STEPS, DELAY_STEPS, FREEZE_MS, nextStep, type ServerFaultTarget, type TuiServerFaults } from './faults.js';
import { matches, NO_FILTER, parseFilter, type StreamFilter } from './filter.js';
import { linkOrder } from './links.js';
import type { TuiState } from './state.js';

// What the user looks at and has typed: view, selection, scroll, filter, pause. `handleKey` is the
// update function of the screen: a key in, the new UI state and the effects for the outside out.

export type View = 'links' | 'stream' | 'detail';

export interface UiState {
  view: View;
  /** view to return to from the detail */
  back: 'links' | 'stream';
  help: boolean;
  /** selected replica (main link) on the links view */
  selectedLink: number | null;
  /** closed links the selection already followed to the replica's new link (once each: the user may go back) */
  followedFrom: Set<number>;
  /** replica shown by the detail view */
  detailLink: number | null;
  detailScroll: number;
  /** matching commands skipped from the newest one; the selected row is the top visible one */
  streamScroll: number;
  /** the commands frozen when the stream was paused (newest first), so they stay put while we scroll */
  frozen: CommandEntry[] | null;
  filter: StreamFilter;
  /** the filter being typed after `/`, null when not editing */
  editing: string | null;
  /** link whose cut waits for `y` */
  confirmCut: number | null;
  /** `F`'s menu is open: the next key picks a server fault (a digit) or closes it */
  serverMenu: { target: ServerFaultTarget | null; choices: number } | null;
  message: string | null;
}

export type Key =
  | 'up' | 'down' | 'pageup' | 'pagedown' | 'home' | 'end'
  | 'enter' | 'escape' | 'tab' | 'backspace' | 'space'
  | { char: string };

export type UiEffect =
  | { kind: 'quit' }
  | { kind: 'speed'; factor: number }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'fault'; link: number; fault: LinkFault }
  | { kind: 'server-fault'; target: ServerFaultTarget | null; choice: number };

export interface KeyContext {
  /** rows of the scrollable area, for page up/down */
  pageRows: number;
  replay: boolean;
  /** fault keys work (a live command handed in its fault control) */
  faults: boolean;
  /** `F` opens this menu (the Sentinel or cluster lab); absent: no server faults */
  serverFaults?: TuiServerFaults;
}

export function createUi(): UiState {
  return {
    view: 'links',
    back: 'links',
    help: false,
    selectedLink: null,
    followedFrom: new Set(),
    detailLink: null,
    detailScroll: 0,
    streamScroll: 0,
    frozen: null,
    filter: NO_FILTER,
    editing: null,
    confirmCut: null,
    serverMenu: null,
    message: null,
  };
}

/** The replica the links view shows selected: the selected one, or where it came back on a new link (once: the
 *  user may go back to the old row), or the first one when there is none. Reads the models only. */
export function shownSelection(ui: UiState, s: TuiState): number | null {
  return followed(ui, s, () => {});
}

function followed(ui: UiState, s: TuiState, follow: (from: number) => void): number | null {
  let selected = ui.selectedLink;
  for (let r = selected === null ? undefined : s.replicas.get(selected); r?.closeAt != null && r.successor !== null && !ui.followedFrom.has(r.link); r = s.replicas.get(r.successor)) {
    follow(r.link);
    selected = r.successor;
  }
  const order = linkOrder(s);
  return selected !== null && order.includes(selected) ? selected : (order[0] ?? null);
}

/** The update between events and a frame: the selection is settled as shownSelection says, and the detail's
 *  scroll kept within its lines (`detailScrollLimit`, from the view at the current size). */
export function settleUi(ui: UiState, s: TuiState, detailScrollLimit: number): void {
  ui.selectedLink = followed(ui, s, (from) => ui.followedFrom.add(from));
  ui.detailScroll = Math.min(ui.detailScroll, detailScrollLimit);
}

export function isPaused(ui: UiState): boolean {
  return ui.frozen !== null;
}

export function handleKey(ui: UiState, key: Key, s: TuiState, ctx: KeyContext): UiEffect[] {
  if (ui.editing !== null) return editFilter(ui, key);
  const ch = typeof key === 'object' ? key.char : null;
  ui.message = null;
  if (ui.confirmCut !== null) return confirmCut(ui, ch);
  if (ui.serverMenu !== null) return pickServerFault(ui, ch);
  if (ch === 'q' || ch === '\x03') return [{ kind: 'quit' }];
  if (ui.help) {
    if (key === 'escape' || ch === '?' || key === 'enter') ui.help = false;
    return [];
  }
  if (ch === '?') {
    ui.help = true;
    return [];
  }
  if (ch !== null && FAULT_KEYS.includes(ch)) return faultKey(ui, s, ch, ctx.faults);
  if (ch === 'F') return openServerMenu(ui, s, ctx.serverFaults);
  if (ctx.replay && (ch === '+' || ch === '=')) return [{ kind: 'speed', factor: 2 }];
  if (ctx.replay && ch === '-') return [{ kind: 'speed', factor: 0.5 }];
  if (key === 'space') return togglePause(ui, s, ctx.replay);
  if (ch === '/') {
    ui.view = 'stream';
    ui.editing = ui.filter.text;
    return [];
  }
  if (key === 'tab') {
    ui.view = ui.view === 'links' ? 'stream' : 'links';
    return [];
  }
  const step = moveStep(key, ch, ctx.pageRows);
  switch (ui.view) {
    case 'links':
      if (step !== 0) moveSelection(ui, s, step);
      else if (key === 'enter') openDetail(ui, shownSelection(ui, s), 'links');
      return [];
    case 'stream':
      if (step !== 0) return scrollStream(ui, s, step, ctx.replay);
      if (key === 'enter') openDetail(ui, selectedCommand(ui, s)?.link ?? null, 'stream');
      else if (key === 'escape' && ui.filter.text !== '') ui.filter = NO_FILTER;
      return [];
    case 'detail':
      if (step !== 0) ui.detailScroll = Math.max(0, ui.detailScroll + step);
      else if (key === 'escape' || key === 'backspace') ui.view = ui.back;
      return [];
  }
}

const FAULT_KEYS = ['x', 'f', 'd', 'b'];

/** x cut (after a `y`), f freeze, d and b cycle delay and bandwidth: on the selected replica's main link. */
function faultKey(ui: UiState, s: TuiState, ch: string, available: boolean): UiEffect[] {
  if (ui.view === 'stream') {
    ui.message = 'fault keys act on a replica: Tab to the links view, or Enter for the detail of a link';
    return [];
  }
  if (!available) {
    ui.message = 'faults are only available live (repl-spy lab, or the proxy with --faults)';
    return [];
  }
  const chosen = ui.view === 'detail' ? ui.detailLink : shownSelection(ui, s);
  const r = chosen === null ? undefined : s.owner.get(chosen);
  if (!r) {
    ui.message = 'no replica selected';
    return [];
  }
  if (r.closeAt !== null) {
    ui.message = `link #${r.link} is closed: faults act on open links`;
    return [];
  }
  const fault = (f: LinkFault): UiEffect[] => [{ kind: 'fault', link: r.link, fault: f }];
  switch (ch) {
    case 'x':
      ui.confirmCut = r.link;
      ui.message = `cut link #${r.link} (replica ${r.replicaAddr})? y cuts, any other key cancels`;
      return [];
    case 'f':
      return fault({ kind: 'freeze', ms: FREEZE_MS });
    case 'd':
      return fault({ kind: 'delay', ms: nextStep(DELAY_STEPS, r.delayMs) });
    default:
      return fault({ kind: 'bandwidth', bytesPerSec: nextStep(BANDWIDTH_STEPS, r.bandwidth) });
  }
}

/** F: the server faults for the selected replica's link (any view: the stream's selected command's link). */
function openServerMenu(ui: UiState, s: TuiState, faults: TuiServerFaults | undefined): UiEffect[] {
  if (!faults) {
    ui.message = 'server faults are in the Sentinel lab (repl-spy lab --sentinels 3) and the cluster lab (--cluster 3)';
    return [];
  }
  const chosen = ui.view === 'detail' ? ui.detailLink : ui.view === 'stream' ? (selectedCommand(ui, s)?.link ?? null) : shownSelection(ui, s);
  const r = chosen === null ? undefined : s.owner.get(chosen);
  const target = r ? { link: r.link, masterAddr: r.masterAddr, announcedPort: r.announcedPort } : null;
  const menu = faults.menu(target);
  if (typeof menu === 'string') {
    ui.message = menu;
    return [];
  }
  ui.serverMenu = { target, choices: menu.choices.length };
  ui.message = `${menu.title}: ${menu.choices.map((c, i) => `${i + 1} ${c}`).join('  ')}  (other keys cancel)`;
  return [];
}

function pickServerFault(ui: UiState, ch: string | null): UiEffect[] {
  const menu = ui.serverMenu!;
  ui.serverMenu = null;
  const n = ch !== null && /^[1-9]$/.test(ch) ? Number(ch) : 0;
  if (n < 1 || n > menu.choices) {
    ui.message = 'server fault cancelled';
    return [];
  }
  return [{ kind: 'server-fault', target: menu.target, choice: n - 1 }];
}

function confirmCut(ui: UiState, ch: string | null): UiEffect[] {
  const link = ui.confirmCut as number;
  ui.confirmCut = null;
  if (ch === 'y' || ch === 'Y') return [{ kind: 'fault', link, fault: { kind: 'cut' } }];
  ui.message = 'cut cancelled';
  return [];
}

function moveStep(key: Key, ch: string | null, page: number): number {
  if (key === 'up' || ch === 'k') return -1;
  if (key === 'down' || ch === 'j') return 1;
  if (key === 'pageup') return -Math.max(1, page);
  if (key === 'pagedown') return Math.max(1, page);
  if (key === 'home' || ch === 'g') return -Number.MAX_SAFE_INTEGER;
  if (key === 'end' || ch === 'G') return Number.MAX_SAFE_INTEGER;
  return 0;
}

function moveSelection(ui: UiState, s: TuiState, step: number): void {
  const order = linkOrder(s);
  if (order.length === 0) return;
  const current = shownSelection(ui, s);
  const at = current === null ? -1 : order.indexOf(current);
  const from = at < 0 ? (step > 0 ? -1 : order.length) : at;
  const to = Math.min(order.length - 1, Math.max(0, from + Math.max(-order.length, Math.min(order.length, step))));
  ui.selectedLink = order[to];
}

function openDetail(ui: UiState, link: number | null, back: 'links' | 'stream'): void {
  if (link === null) return;
  ui.detailLink = link;
  ui.detailScroll = 0;
  ui.back = back;
  ui.view = 'detail';
}

/**
 * The stream lists the newest command on top; moving down goes back in time. Moving while live freezes
 * the stream first (like a pager) so the rows hold still; space resumes.
 */
function scrollStream(ui: UiState, s: TuiState, step: number, replay: boolean): UiEffect[] {
  const effects: UiEffect[] = [];
  if (step > 0 && ui.frozen === null) effects.push(...togglePause(ui, s, replay));
  if (ui.frozen === null) return effects; // live: the newest command stays on top
  const matching = ui.frozen.filter((e) => matches(e, ui.filter)).length;
  ui.streamScroll = Math.min(Math.max(0, matching - 1), Math.max(0, ui.streamScroll + step));
  return effects;
}

function togglePause(ui: UiState, s: TuiState, replay: boolean): UiEffect[] {
  if (ui.frozen === null) {
    ui.frozen = s.commands.toArray().reverse();
    return replay ? [{ kind: 'pause' }] : [];
  }
  ui.frozen = null;
  ui.streamScroll = 0;
  return replay ? [{ kind: 'resume' }] : [];
}

function editFilter(ui: UiState, key: Key): UiEffect[] {
  const text = ui.editing ?? '';
  if (key === 'escape') ui.editing = null;
  else if (key === 'backspace') ui.editing = text.slice(0, -1);
  else if (key === 'space') ui.editing = text + ' ';
  else if (key === 'enter') {
    const parsed = parseFilter(text);
    if ('error' in parsed) ui.message = parsed.error;
    else {
      ui.filter = parsed.filter;
      ui.streamScroll = 0;
      ui.editing = null;
      ui.message = null;
    }
  } else if (typeof key === 'object' && key.char >= ' ' && key.char !== '\x7f') ui.editing = text + key.char;
  return [];
}

/** Commands the stream view reads from, newest first: the frozen copy while paused, else the live ring. */
export function streamSource(ui: UiState, s: TuiState): { size: number; at(i: number): CommandEntry | undefined } {
  const frozen = ui.frozen;
  if (frozen) return { size: frozen.length, at: (i) => frozen[i] };
  return { size: s.commands.size, at: (i) => s.commands.fromNewest(i) };
}

/**
 * The `count` newest commands matching the filter after skipping `skip` matches, newest first.
 * Stops as soon as the rows are filled: only what is visible is built.
 */
export function visibleCommands(ui: UiState, s: TuiState, skip: number, count: number): CommandEntry[] {
  const src = streamSource(ui, s);
  const out: CommandEntry[] = [];
  let skipped = 0;
  for (let i = 0; i < src.size && out.length < count; i++) {
    const e = src.at(i) as CommandEntry;
    if (!matches(e, ui.filter)) continue;
    if (skipped < skip) skipped++;
    else out.push(e);
  }
  return out;
}

/** The command under the cursor on the stream view: the top visible one. */
export function selectedCommand(ui: UiState, s: TuiState): CommandEntry | undefined {
  return visibleCommands(ui, s, ui.streamScroll, 1)[0];
}
