// `--json`: one JSON object per event and line. Command arguments become (shortened) strings. A command, by far
// the most frequent event, is written by hand, in bytes: the same object as JSON.stringify gives, argv last.

import type { CommandEvent, ReplEvent } from '../core/events.js';
import { argJson, SHOWN_ARG_BYTES } from './argv-text.js';
import { LineBuffer, lineText } from './line-buffer.js';

export function jsonLine(e: ReplEvent): string {
  return lineText((b) => writeJsonLine(e, b));
}

/** The event as a JSON line, without its newline. */
export function writeJsonLine(e: ReplEvent, b: LineBuffer): void {
  if (e.type === 'command') commandJson(e, b);
  else b.text(JSON.stringify(e));
}

/** The fields written by hand; any other field an event gets is written after them, as JSON.stringify would. */
const COMMAND_FIELDS = new Set(['type', 'at', 'link', 'offset', 'db', 'bytes', 'argv', 'argBytes']);

function commandJson(e: CommandEvent, b: LineBuffer): void {
  b.bytes(HEAD.at);
  b.ascii(atText(e.at));
  b.bytes(HEAD.link);
  b.num(e.link);
  b.bytes(HEAD.offset);
  b.num(e.offset);
  b.bytes(HEAD.db);
  if (e.db === null) b.ascii('null');
  else b.num(e.db);
  b.bytes(HEAD.bytes);
  b.num(e.bytes);
  for (const key in e) {
    if (COMMAND_FIELDS.has(key)) continue;
    const v = (e as unknown as Record<string, unknown>)[key];
    if (v === undefined) continue;
    b.bytes(fieldHead(key));
    // numbers (pos, end) are most of these: as JSON.stringify writes them, without calling it
    if (typeof v === 'number') b.num(v);
    else if (typeof v === 'string') b.bytes(stringJson(v));
    else b.text(JSON.stringify(v));
  }
  b.bytes(HEAD.argv);
  const { argv, argBytes } = e;
  for (let i = 0; i < argv.length; i++) {
    if (i > 0) b.byte(COMMA);
    const arg = argv[i]!;
    const full = argBytes?.[i] ?? arg.length;
    if (full > SHOWN_ARG_BYTES || !b.jsonAscii(arg)) b.text(argJson(arg, full));
  }
  b.byte(CLOSE_BRACKET);
  b.byte(CLOSE_BRACE);
}

const HEAD = {
  at: Buffer.from('{"type":"command","at":'),
  link: Buffer.from(',"link":'),
  offset: Buffer.from(',"offset":'),
  db: Buffer.from(',"db":'),
  bytes: Buffer.from(',"bytes":'),
  argv: Buffer.from(',"argv":['),
};

/** `,"key":` of the other fields, encoded once per name. */
const fieldHeads = new Map<string, Buffer>();
function fieldHead(key: string): Buffer {
  let head = fieldHeads.get(key);
  if (!head) fieldHeads.set(key, (head = Buffer.from(`,${JSON.stringify(key)}:`)));
  return head;
}

/** String fields (the `master` of every command in a tail) repeat: each is encoded once, up to a bound. */
const stringJsons = new Map<string, Buffer>();
function stringJson(s: string): Buffer {
  let json = stringJsons.get(s);
  if (!json) {
    if (stringJsons.size >= 256) stringJsons.clear();
    stringJsons.set(s, (json = Buffer.from(JSON.stringify(s))));
  }
  return json;
}

const [COMMA, CLOSE_BRACKET, CLOSE_BRACE] = [',', ']', '}'].map((c) => c.charCodeAt(0)) as [number, number, number];

/** The commands of one chunk share their time: its text is made once. */
let lastAt = NaN;
let lastAtText = '';
function atText(at: number): string {
  if (at !== lastAt) {
    lastAt = at;
    lastAtText = num(at);
  }
  return lastAtText;
}

/** As JSON.stringify writes a number (null for what JSON has no number for). */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}
