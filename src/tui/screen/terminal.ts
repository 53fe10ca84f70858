import blessed from 'blessed';
import type { Frame } from '../format/frame.js';
import type { Key } from '../model/ui.js';

// The terminal, through blessed: the only module that touches it. It paints frames made of plain text
// lines and turns key presses into the UI model's keys; it knows nothing of replication.

export interface Terminal {
  size(): { width: number; height: number };
  paint(frame: Frame): void;
  onKey(fn: (key: Key) => void): void;
  onResize(fn: () => void): void;
  destroy(): void;
}

const NAMED: Record<string, Key> = {
  up: 'up',
  down: 'down',
  pageup: 'pageup',
  pagedown: 'pagedown',
  home: 'home',
  end: 'end',
  // blessed reports Enter (\r) twice, as 'return' and then as 'enter': take only the latter.
  enter: 'enter',
  escape: 'escape',
  tab: 'tab',
  backspace: 'backspace',
  space: 'space',
};

export function openTerminal(title: string): Terminal {
  const screen = blessed.screen({ smartCSR: true, title, warnings: false, autoPadding: false });
  const box = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: '100%', tags: true, wrap: false });
  return {
    size: () => ({ width: Number(screen.width), height: Number(screen.height) }),
    paint(frame) {
      const marked = new Set(frame.highlight);
      const text = frame.lines.map((l, i) => (marked.has(i) ? `{inverse}${blessed.escape(l)}{/inverse}` : blessed.escape(l)));
      box.setContent(text.join('\n'));
      screen.render();
    },
    onKey(fn) {
      screen.on('keypress', (ch: string | undefined, key: { name?: string; full?: string; ctrl?: boolean } | undefined) => {
        if (key?.ctrl && key.name === 'c') return fn({ char: '\x03' });
        const named = key?.name !== undefined ? NAMED[key.name] : undefined;
        if (named !== undefined) return fn(named);
        if (ch !== undefined && ch.length === 1) fn({ char: ch });
      });
    },
    onResize(fn) {
      screen.on('resize', fn);
    },
    destroy() {
      screen.destroy();
    },
  };
}
