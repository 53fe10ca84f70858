// From a captured frame to its TCP segment: the link-layer header, IPv4 (options, fragments) or IPv6 (extension
// headers), then TCP. The payload's length on the wire comes from the IP header, so a frame cut by the snap
// length still says how many bytes it carried, and Ethernet padding is never taken for data.
import { ipOffset } from './link-layer.js';
import { formatIp } from './ip-address.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface TcpSegment {
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** the captured payload bytes (a view of the frame) */
  payload: Buffer;
  /** payload bytes on the wire: more than payload.length when the frame was cut by the snap length */
  length: number;
}

/** Why a frame gave no segment: not IP, not TCP, an IP fragment (not reassembled), or headers cut off. */
export type NotTcp = 'not-ip' | 'not-tcp' | 'fragment' | 'cut-header';

const IPPROTO_TCP = 6;
const IPV6_EXTENSIONS = new Set([0, 43, 60]); // hop-by-hop, routing, destination options
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;

export function decodeSegment(linkType: number, frame: Buffer, origLen: number): TcpSegment | NotTcp {
  const ip = ipOffset(linkType, frame);
  if (ip < 0 || ip >= frame.length) return 'not-ip';
  const version = frame[ip]! >> 4;
  let proto: number;
  let tcp: number;
  let end: number; // end of the IP payload on the wire, as an offset into the frame
  let srcIp: string;
  let dstIp: string;
  if (version === 4) {
    if (frame.length < ip + 20) return 'cut-header';
    const ihl = (frame[ip]! & 0x0f) * 4;
    const total = frame.readUInt16BE(ip + 2);
    const fragment = frame.readUInt16BE(ip + 6);
    if (fragment & 0x3fff) return 'fragment'; // more fragments, or not the first one
    proto = frame[ip + 9]!;
    srcIp = formatIp(frame, ip + 12, 4);
    dstIp = formatIp(frame, ip + 16, 4);
    tcp = ip + ihl;
    // total length 0: a segmentation-offload super-packet, as long as the frame
    end = total === 0 ? origLen : ip + total;
  } else if (version === 6) {
    if (frame.length < ip + 40) return 'cut-header';
    const payloadLength = frame.readUInt16BE(ip + 4);
    srcIp = formatIp(frame, ip + 8, 16);
    dstIp = formatIp(frame, ip + 24, 16);
    end = payloadLength === 0 ? origLen : ip + 40 + payloadLength;
    proto = frame[ip + 6]!;
    tcp = ip + 40;
    while (proto !== IPPROTO_TCP) {
      if (proto === IPV6_FRAGMENT) return 'fragment';
      if (!IPV6_EXTENSIONS.has(proto) && proto !== IPV6_AH) return 'not-tcp';
      if (frame.length < tcp + 2) return 'cut-header';
      const next = frame[tcp]!;
      tcp += proto === IPV6_AH ? (frame[tcp + 1]! + 2) * 4 : (frame[tcp + 1]! + 1) * 8;
      proto = next;
    }
  } else {
    return 'not-ip';
  }
  if (proto !== IPPROTO_TCP) return 'not-tcp';
  if (frame.length < tcp + 20) return 'cut-header';
  const dataOffset = (frame[tcp + 12]! >> 4) * 4;
  const payloadStart = tcp + dataOffset;
  if (frame.length < payloadStart || dataOffset < 20) return 'cut-header';
  const length = Math.max(0, end - payloadStart);
  return {
    srcIp,
    srcPort: frame.readUInt16BE(tcp),
    dstIp,
    dstPort: frame.readUInt16BE(tcp + 2),
    seq: frame.readUInt32BE(tcp + 4),
    ack: frame.readUInt32BE(tcp + 8),
    flags: frame[tcp + 13]!,
    payload: frame.subarray(payloadStart, Math.min(frame.length, payloadStart + length)),
    length,
  };
}
