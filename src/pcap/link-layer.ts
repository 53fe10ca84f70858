// Link-layer headers of the capture link types tcpdump and dumpcap write on Linux, BSD and macOS: where the IP
// packet starts in a frame, and which IP version it is. Numbers are the LINKTYPE_* values of pcap files
// (https://www.tcpdump.org/linktypes.html). VLAN tags (802.1Q, 802.1ad, QinQ) are skipped.

const LINK_TYPES: Record<number, string> = {
  0: 'NULL', // BSD loopback: 4-byte address family in the byte order of the capturing host
  1: 'ETHERNET',
  12: 'RAW', // OpenBSD's number for raw IP
  14: 'RAW', // BSD/OS
  101: 'RAW',
  108: 'LOOP', // OpenBSD loopback: the family in network byte order
  113: 'LINUX_SLL', // tcpdump -i any (libpcap < 1.10)
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2', // tcpdump -i any (libpcap >= 1.10)
};

export const SUPPORTED_LINK_TYPES: ReadonlySet<number> = new Set(Object.keys(LINK_TYPES).map(Number));

export function linkTypeName(linkType: number): string {
  return LINK_TYPES[linkType] ?? `#${linkType}`;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = new Set([0x8100, 0x88a8, 0x9100]);
/** Address families of IPv6 in NULL/LOOP headers: Linux, NetBSD/OpenBSD, FreeBSD, macOS. */
const AF_INET = 2;
const AF_INET6 = new Set([10, 24, 28, 30]);

/** Where the IP header starts in `frame`, or -1 when the frame does not carry IPv4/IPv6 (or is cut before it). */
export function ipOffset(linkType: number, frame: Buffer): number {
  switch (linkType) {
    case 1:
      return afterEthertype(frame, 12);
    case 113:
      return afterEthertype(frame, 14);
    case 276:
      // SLL2 puts the protocol first; its header is 20 bytes
      return frame.length >= 20 ? ipByEthertype(frame.readUInt16BE(0), 20) : -1;
    case 0:
    case 108: {
      if (frame.length < 4) return -1;
      const be = frame.readUInt32BE(0);
      // NULL uses the capturing host's byte order: a family is small, so the other reading is the wrong one
      const family = linkType === 0 && be > 0xffff ? frame.readUInt32LE(0) : be;
      return family === AF_INET || AF_INET6.has(family) ? 4 : -1;
    }
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      return 0;
    default:
      return -1;
  }
}

/** The ethertype at frame[at], after any VLAN tags: the IP header's offset. */
function afterEthertype(frame: Buffer, at: number): number {
  let o = at;
  while (o + 2 <= frame.length) {
    const type = frame.readUInt16BE(o);
    if (!ETHERTYPE_VLAN.has(type)) return ipByEthertype(type, o + 2);
    o += 4; // tag control information, then the next ethertype
  }
  return -1;
}

function ipByEthertype(type: number, offset: number): number {
  return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? offset : -1;
}
