// IP addresses as text, the way Node prints socket addresses ("127.0.0.1", "::1", "fe80::1"), and back.
/** The address of `len` (4 or 16) bytes at buf[at]. IPv6 in RFC 5952 form: lowercase, longest zero run as "::". */
export function formatIp(buf: Buffer, at: number, len: 4 | 16): string {
  if (len === 4) return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
  const groups: number[] = [];
  for (let k = 0; k < 8; k++) groups.push(buf.readUInt16BE(at + 2 * k));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${buf[at + 12]}.${buf[at + 13]}.${buf[at + 14]}.${buf[at + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not shortened
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && groups[e] === 0) e++;
    if (e - k > bestLen) [bestStart, bestLen] = [k, e - k];
    k = e;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

/** The bytes of an IPv4 or IPv6 address, or null for anything else (a host name). */
export function parseIp(text: string): Buffer | null {
  if (IPV4.test(text)) return Buffer.from(text.split('.').map(Number));
  // a dotted IPv4 tail ("::ffff:1.2.3.4") stands for the last two groups
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted && !IPV4.test(dotted[2]!)) return null;
  const s = dotted ? `${dotted[1]}0:0` : text;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const count = head.length + tail.length;
  if (![...head, ...tail].every((g) => HEX_GROUP.test(g)) || (halves.length === 2 ? count > 7 : count !== 8)) return null;
  const all = [...head, ...new Array<string>(8 - count).fill('0'), ...tail];
  const out = Buffer.alloc(16);
  all.forEach((g, k) => out.writeUInt16BE(parseInt(g, 16), 2 * k));
  if (dotted) Buffer.from(dotted[2]!.split('.').map(Number)).copy(out, 12);
  return out;
}
