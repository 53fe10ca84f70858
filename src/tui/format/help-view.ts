import { FREEZE_MS } from '../model/faults.js';
import { fit } from './text.js';

// The `?` screen: every key, following the habits of terminal tools (less, htop, k9s).

export function helpLines(width: number, replay: boolean, faults: boolean): string[] {
  const keys: [string, string][] = [
    ['↑ ↓  j k', 'move the selection / scroll'],
    ['PgUp PgDn  g G', 'page / jump to the top or bottom'],
    ['Enter', 'open the detail of the selected replica (or of the command\'s link)'],
    ['Esc', 'back; on the stream view, clear the filter'],
    ['Tab', 'switch between the links view and the stream view'],
    ['/', 'filter the stream: set  key:user:*  db:0  link:2  slot:0-5460 (all terms must match)'],
    ['Space', replay ? 'pause / resume the replay and freeze the stream' : 'freeze / resume the stream'],
    ...(replay ? ([['+ -', 'replay faster / slower (x2, /2)']] as [string, string][]) : []),
    ['?', 'this help (Esc or ? closes it)'],
    ['q  Ctrl-C', 'quit'],
  ];
  const lines = [fit('KEYS', width), fit('', width)];
  const faultKeys: [string, string][] = [
    ['x', 'cut the link (y confirms): the replica reconnects and resyncs'],
    ['f', `freeze the link for ${FREEZE_MS / 1000} s (bytes wait, in order)`],
    ['d', 'delay both ways: off → 100 ms → 500 ms'],
    ['b', 'bandwidth master → replica: off → 1 MB/s → 100 KB/s'],
    ['F', 'server faults menu: failovers, or the link\'s cluster shard'],
  ];
  const key = ([k, what]: [string, string]) => fit(`  ${fit(k, 16)} ${what}`, width);
  lines.push(...keys.map(key), fit('', width));
  lines.push(fit(`FAULTS on the selected replica's link${faults ? '' : ' (live only: repl-spy lab, or the proxy with --faults)'}`, width));
  lines.push(...faultKeys.map(key), fit('', width));
  lines.push(fit('STATES  handshake → waiting (BGSAVE) → receiving (RDB) → loading → streaming; closed', width));
  lines.push(fit('Rates and durations come from event times: a replay shows what the master really did.', width));
  return lines;
}
