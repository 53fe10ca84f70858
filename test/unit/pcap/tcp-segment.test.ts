// From a frame to its TCP segment on every link type the reader accepts, IPv4 (with options) and IPv6 (with an
// extension header); the payload's length comes from the IP header (snap length, Ethernet padding); frames that
// carry no TCP segment say why.
import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../../src/pcap/ip-address.js';
import { SUPPORTED_LINK_TYPES } from '../../../src/pcap/link-layer.js';
import { decodeSegment } from '../../../src/pcap/tcp-segment.js';
import { frame, ipPacket, LINKTYPE, type LinkKind } from '../../helpers/pcap-build.js';

const kinds = Object.keys(LINKTYPE) as LinkKind[];

describe('decodeSegment', () => {
  for (const kind of kinds) {
    for (const v6 of [false, true]) {
      if ((kind === 'ipv4' && v6) || (kind === 'ipv6' && !v6)) continue;
      for (const ipExtra of [false, true]) {
        it(`${kind}, IPv${v6 ? 6 : 4}${ipExtra ? (v6 ? ' with a hop-by-hop header' : ' with options') : ''}`, () => {
          const [src, dst] = v6 ? ['[fe80::1]:50000', '[2001:db8::7]:6379'] : ['10.0.0.2:50000', '10.0.0.1:6379'];
          const payload = Buffer.from('*1\r\n$4\r\nPING\r\n');
          const f = frame(kind, ipPacket({ src, dst, seq: 0xfffffff0, ack: 77, flags: 'PA', payload, ipExtra }));
          expect(SUPPORTED_LINK_TYPES.has(LINKTYPE[kind])).toBe(true);
          const seg = decodeSegment(LINKTYPE[kind], f, f.length);
          expect(seg).toMatchObject({
            srcIp: v6 ? 'fe80::1' : '10.0.0.2',
            srcPort: 50000,
            dstIp: v6 ? '2001:db8::7' : '10.0.0.1',
            dstPort: 6379,
            seq: 0xfffffff0,
            ack: 77,
            flags: 0x18,
            length: payload.length,
          });
          expect(typeof seg !== 'string' && seg.payload.equals(payload)).toBe(true);
        });
      }
    }
  }

  it('Ethernet padding is no payload; a frame cut by the snap length keeps the length on the wire', () => {
    const bare = frame('ethernet', ipPacket({ src: '1.1.1.1:1', dst: '2.2.2.2:2', seq: 1, flags: 'A' }));
    expect(bare.length).toBe(60); // padded
    expect(decodeSegment(1, bare, bare.length)).toMatchObject({ length: 0, payload: Buffer.alloc(0) });
    const payload = Buffer.alloc(1000, 0x61);
    const full = frame('ethernet', ipPacket({ src: '1.1.1.1:1', dst: '2.2.2.2:2', seq: 1, payload }));
    const cut = decodeSegment(1, full.subarray(0, 200), full.length);
    expect(cut).toMatchObject({ length: 1000 });
    expect(typeof cut !== 'string' && cut.payload.length).toBe(200 - 14 - 20 - 20);
  });

  it('not IP, not TCP, fragments and headers cut short are said', () => {
    const arp = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    expect(decodeSegment(1, arp, arp.length)).toBe('not-ip');
    const udp = ipPacket({ src: '1.1.1.1:1', dst: '2.2.2.2:2', seq: 1 });
    udp[9] = 17;
    expect(decodeSegment(101, udp, udp.length)).toBe('not-tcp');
    const frag4 = ipPacket({ src: '1.1.1.1:1', dst: '2.2.2.2:2', seq: 1, fragment: true, payload: 'x' });
    expect(decodeSegment(101, frag4, frag4.length)).toBe('fragment');
    const frag6 = ipPacket({ src: '[::1]:1', dst: '[::1]:2', seq: 1, fragment: true, payload: 'x' });
    expect(decodeSegment(101, frag6, frag6.length)).toBe('fragment');
    const seg = frame('ethernet', ipPacket({ src: '1.1.1.1:1', dst: '2.2.2.2:2', seq: 1, payload: 'hello' }));
    expect(decodeSegment(1, seg.subarray(0, 14 + 20 + 10), seg.length)).toBe('cut-header');
    expect(decodeSegment(1, seg.subarray(0, 13), seg.length)).toBe('not-ip');
    const nullOther = Buffer.concat([Buffer.from([7, 0, 0, 0]), ipPacket({ src: '1.1.1.1:1', dst: '2.2.2.2:2', seq: 1 })]);
    expect(decodeSegment(0, nullOther, nullOther.length)).toBe('not-ip');
  });
});

describe('IP addresses', () => {
  it('IPv6 text as Node prints it (RFC 5952), and back', () => {
    const cases: [string, string][] = [
      ['::1', '::1'],
      ['::', '::'],
      ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['1::', '1::'],
      ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
    ];
    for (const [text, printed] of cases) {
      const bytes = parseIp(text);
      expect(bytes?.length, text).toBe(16);
      expect(formatIp(bytes!, 0, 16), text).toBe(printed);
    }
    expect(formatIp(parseIp('192.168.1.20')!, 0, 4)).toBe('192.168.1.20');
    for (const bad of ['localhost', '1.2.3', '256.1.1.1', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '']) expect(parseIp(bad), bad).toBeNull();
  });
});
