import { fit } from './text.js';

// The `?` screen: every key, following the habits of terminal tools (less, htop, k9s).

export function helpLines(width: number, replay: boolean): string[] {
  const keys: [string, string][] = [
    ['↑ ↓  j k', 'move the selection / scroll'],
    ['PgUp PgDn  g G', 'page / jump to the top or bottom'],
    ['Enter', 'open the detail of the selected replica (or of the command\'s link)'],
    ['Esc', 'back; on the stream view, clear the filter'],
    ['Tab', 'switch between the links view and the stream view'],
    ['/', 'filter the stream: set  key:user:*  db:0  link:2 (all terms must match)'],
    ['Space', replay ? 'pause / resume the replay and freeze the stream' : 'freeze / resume the stream'],
    ...(replay ? ([['+ -', 'replay faster / slower (x2, /2)']] as [string, string][]) : []),
    ['?', 'this help (Esc or ? closes it)'],
    ['q  Ctrl-C', 'quit'],
  ];
  const lines = [fit('KEYS', width), fit('', width)];
  for (const [k, what] of keys) lines.push(fit(`  ${fit(k, 16)} ${what}`, width));
  lines.push(fit('', width));
  lines.push(fit('STATES  handshake → waiting (BGSAVE) → receiving (RDB) → loading → streaming; closed', width));
  lines.push(fit('Rates and durations come from event times: a replay shows what the master really did.', width));
  return lines;
}
