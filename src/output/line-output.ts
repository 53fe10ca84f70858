// `--no-tui`: one readable line per event, e.g.
//   12:00:01.234 #2 fullresync replid=8b1e… offset=0

import { slotRangesText, type TopologyNode, type TopologyShard } from '../core/cluster-topology.js';
import type { CommandEvent, ReplEvent } from '../core/events.js';
import { tlsText } from '../core/tls-text.js';
import { argText, isAscii, SHOWN_ARG_BYTES } from './argv-text.js';
import { LineBuffer, lineText } from './line-buffer.js';

export function textLine(e: ReplEvent): string {
  return lineText((b) => writeTextLine(e, b));
}

/** The event as a line, without its newline. */
export function writeTextLine(e: ReplEvent, b: LineBuffer): void {
  if (e.type === 'command' && commandText(e, b)) return;
  b.text(`${clock(e.at)} #${e.link} ${e.type} ${describe(e)}`.trimEnd());
}

/** A command, in bytes: plain ASCII arguments are copied as they are. False (nothing written) when an argument
 *  needs the generic form: shortened, or not ASCII (its text could end in whitespace that trimEnd would take). */
function commandText(e: CommandEvent, b: LineBuffer): boolean {
  const { argv, argBytes } = e;
  b.ascii(`${clock(e.at)} #${e.link} command offset=${e.offset} db=${e.db ?? '?'} `);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((argBytes?.[i] ?? arg.length) > SHOWN_ARG_BYTES || !isAscii(arg)) {
      b.rewindLine();
      return false;
    }
    if (i > 0) b.ascii(' ');
    b.bytes(arg);
  }
  // as trimEnd: the whitespace at the end goes (ASCII whitespace: tab to carriage return, and space)
  for (let last = b.lastByte(); last === 0x20 || (last >= 0x09 && last <= 0x0d); last = b.lastByte()) b.dropLast(1);
  return true;
}

function describe(e: ReplEvent): string {
  switch (e.type) {
    case 'link-open':
      return `replica=${e.replica} master=${e.master}${e.tls ? ` ${tlsText(e.tls)}` : ''}`;
    case 'replica-command':
      return e.argv.join(' ');
    case 'master-reply':
      return e.reply;
    case 'psync':
      return `replid=${e.replid} offset=${e.offset}`;
    case 'fullresync':
      return `replid=${e.replid} offset=${e.offset}${e.reason ? ` reason="${e.reason}"` : ''}`;
    case 'continue':
      return `replid=${e.replid ?? '(same)'} from-offset=${e.offset ?? '?'}${e.reason ? ` reason="${e.reason}"` : ''}`;
    case 'rdb-channel-sync':
      return `${e.flavor}${e.clientId ? ` client-id=${e.clientId}` : ''}`;
    case 'endoff':
      return `offset=${e.offset} replid=${e.replid} db=${e.db} client-id=${e.clientId}`;
    case 'link-pair':
      return `main=#${e.mainLink} rdb=#${e.rdbLink} (${e.flavor})`;
    case 'keepalive':
      return `from ${e.from}`;
    case 'rdb-start':
      return `${e.mode} size=${e.size ?? '?'} waited=${ms(e.waitMs)} keepalives=${e.keepalives}`;
    case 'rdb-progress':
      return `${e.bytes}${e.size ? `/${e.size}` : ''} bytes`;
    case 'rdb-end':
      return `${e.bytes} bytes in ${ms(e.durationMs)}${e.bytesPerSec ? ` (${(e.bytesPerSec / 1e6).toFixed(1)} MB/s)` : ''}`;
    case 'rdb-info':
      return `${e.phase} ${JSON.stringify(e.info)}`;
    case 'command': {
      let args = '';
      for (let i = 0; i < e.argv.length; i++) args += (i === 0 ? '' : ' ') + argText(e.argv[i]!, e.argBytes?.[i]);
      return `offset=${e.offset} db=${e.db ?? '?'} ${args}`;
    }
    case 'ack':
      return `offset=${e.offset} lag=${e.lagBytes}B/${ms(e.lagMs)}${e.fack !== undefined ? ` fack=${e.fack}` : ''}${e.loadMs !== undefined ? ` loaded-in=${ms(e.loadMs)}` : ''}`;
    case 'lag':
      return `offset=${e.offset} acked=${e.ackOffset} lag=${e.lagBytes}B/${ms(e.lagMs)}`;
    case 'ack-silence':
      return `no ACK for ${ms(e.silentMs)} (last acked ${e.ackOffset}) lag=${e.lagBytes}B/${ms(e.lagMs)}`;
    case 'ack-resumed':
      return `ACKs again after ${ms(e.silentMs)}: offset=${e.offset} lag=${e.lagBytes}B/${ms(e.lagMs)}`;
    case 'shared-snapshot':
      return `links=${e.links.map((l) => `#${l}`).join(',')} share one snapshot replid=${e.replid} offset=${e.offset}`;
    case 'protocol-violation':
      return `from ${e.from} ${e.code} at byte ${e.pos}: ${e.message}${e.excerptHex ? ` [${e.excerptHex}]` : ''}`;
    case 'gap':
      return `from ${e.from} ${e.bytes} bytes missing (${e.reason})`;
    case 'capture-loss':
      return `${e.state} from ${e.from} ${e.bytes} bytes not in the capture from byte ${e.pos} (${e.reason})`;
    case 'resync':
      return `from ${e.from} decoding resumed at byte ${e.pos} (${e.skipped} bytes skipped)`;
    case 'fault':
      return `${e.fault} ${JSON.stringify(e.detail)}`;
    case 'link-close':
      return `by ${e.by}: ${e.reason}`;
    case 'client-open':
      return `client=${e.client} master=${e.master} kind=${e.kind}${e.name === null ? '' : ` name=${e.name}`}${e.tls ? ` ${tlsText(e.tls)}` : ''}`;
    case 'client-update':
      return `kind=${e.kind}${e.name === null ? '' : ` name=${e.name}`}`;
    case 'client-command':
      return `${e.argv.join(' ')}${e.reply === null ? '' : ` -> ${e.reply} (${ms(e.latencyMs)})`}`;
    case 'client-close':
      return `by ${e.by}: ${e.reason}; kind=${e.kind}${e.name === null ? '' : ` name=${e.name}`} ${e.commands} commands, ${e.requestBytes}B in, ${e.replyBytes}B out in ${ms(e.durationMs)}${e.commandsPerSec === null ? '' : ` (${e.commandsPerSec} commands/s)`}`;
    case 'sync-loop':
      return `replica ${e.replica} full-synced ${e.count} times in a row: ${e.pattern}`;
    case 'replica-address':
      return `known to the master as ${e.seenAs}${e.throughProxy === null ? '' : e.throughProxy ? ' (a repl-spy listener)' : ' (not through repl-spy)'}${e.warning ? `: WARNING ${e.warning}` : ''}`;
    case 'failover':
      return `${e.sinceMs === null ? '' : `+${ms(e.sinceMs)} `}${e.step}: ${e.detail}`;
    case 'cluster-topology':
      return `${e.change}; from ${e.source}: ${e.shards.map(shardText).join('; ')}`;
  }
}

/** "0-5460 master-1 127.0.0.1:43543 <- replica-1-1 127.0.0.1:46017" (a node not online says so) */
function shardText(s: TopologyShard): string {
  const node = (n: TopologyNode): string => `${n.name ? `${n.name} ` : ''}${n.address}${n.health === 'online' ? '' : ` (${n.health})`}`;
  return `${slotRangesText(s.slots)} ${s.master ? node(s.master) : 'no master'}${s.replicas.length ? ` <- ${s.replicas.map(node).join(', ')}` : ''}`;
}

function ms(v: number | null): string {
  return v === null ? '?' : `${Math.round(v)}ms`;
}

/** hh:mm:ss.mmm (UTC); the events of one millisecond share the text. */
let clockMs = NaN;
let clockText = '';
function clock(at: number): string {
  const ms = Math.floor(at);
  if (ms !== clockMs) {
    clockMs = ms;
    clockText = new Date(ms).toISOString().slice(11, 23);
  }
  return clockText;
}
