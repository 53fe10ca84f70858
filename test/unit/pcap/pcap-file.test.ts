// The capture file reader: classic pcap (both byte orders, µs and ns), pcapng (both byte orders, several
// sections and interfaces, timestamp resolutions and offsets, EPB / SPB / obsolete PB, blocks to skip), every
// input under every chunking; bad input throws a PcapError with the byte offset, after every packet before it.
import { describe, expect, it } from 'vitest';
import { PcapError } from '../../../src/pcap/errors.js';
import { PcapFileReader, type Packet } from '../../../src/pcap/pcap-file.js';
import { chunkings, sampledChunkings } from '../../helpers/chunkings.js';
import { pcapFile, pcapngFile } from '../../helpers/pcap-build.js';

interface Seen {
  linkType: number;
  iface: number;
  at: number;
  data: string;
  origLen: number;
  fileOffset: number;
}

function read(chunks: Buffer[]): { packets: Seen[]; error: PcapError | null } {
  const packets: Seen[] = [];
  const reader = new PcapFileReader((p: Packet) =>
    packets.push({ linkType: p.linkType, iface: p.iface, at: p.at, data: p.data.toString('hex'), origLen: p.origLen, fileOffset: p.fileOffset }),
  );
  try {
    for (const c of chunks) reader.feed(c);
    reader.end();
    return { packets, error: null };
  } catch (err) {
    if (!(err instanceof PcapError)) throw err;
    return { packets, error: err };
  }
}

/** Reads `file` under every chunking; all must agree with the whole read, which is returned. */
function readEveryChunking(file: Buffer): { packets: Seen[]; error: PcapError | null } {
  const whole = read([file]);
  const expected = JSON.stringify({ packets: whole.packets, error: whole.error && [whole.error.code, whole.error.offset, whole.error.message] });
  for (const { name, chunks } of file.length > 600 ? sampledChunkings(file, 300, 10) : chunkings(file, 10)) {
    const r = read(chunks);
    const got = JSON.stringify({ packets: r.packets, error: r.error && [r.error.code, r.error.offset, r.error.message] });
    if (got !== expected) expect(got, name).toBe(expected);
  }
  return whole;
}

/** Where each pcapng block of a little-endian file starts. */
function blockOffsets(file: Buffer): number[] {
  const out: number[] = [];
  for (let o = 0; o < file.length; o += file.readUInt32LE(o + 4)) out.push(o);
  return out;
}

const T0 = 1_796_300_000_123.25; // epoch ms with a fraction
const p1 = Buffer.from('first packet bytes');
const p2 = Buffer.from('second, a little longer packet');

describe('pcap', () => {
  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      it(`${bigEndian ? 'big' : 'little'}-endian, ${nanos ? 'nanosecond' : 'microsecond'} times`, () => {
        const file = pcapFile(1, [{ at: T0, data: p1 }, { at: T0 + 1.5, data: p2.subarray(0, 10), origLen: p2.length }], { bigEndian, nanos });
        const { packets, error } = readEveryChunking(file);
        expect(error).toBeNull();
        expect(packets).toEqual([
          { linkType: 1, iface: 0, at: nanos ? T0 : Math.round(T0 * 1000) / 1000, data: p1.toString('hex'), origLen: p1.length, fileOffset: 24 },
          { linkType: 1, iface: 0, at: nanos ? T0 + 1.5 : Math.round((T0 + 1.5) * 1000) / 1000, data: p2.subarray(0, 10).toString('hex'), origLen: p2.length, fileOffset: 24 + 16 + p1.length },
        ]);
      });
    }
  }

  it('a file cut inside a record: the packets before it, then where the record starts', () => {
    const file = pcapFile(1, [{ at: T0, data: p1 }, { at: T0, data: p2 }]);
    const cut = file.subarray(0, file.length - 5);
    const { packets, error } = readEveryChunking(cut);
    expect(packets).toHaveLength(1);
    expect(error).toMatchObject({ code: 'RSPY_PCAP_TRUNCATED', offset: 24 + 16 + p1.length });
    expect(error!.message).toMatch(/ends inside a pcap record \(\d+ of \d+ bytes\).*every packet before it was read/);
  });

  it('a damaged record length: the offset of that record', () => {
    const file = pcapFile(1, [{ at: T0, data: p1 }, { at: T0, data: p2 }]);
    file.writeUInt32LE(0x7fffffff, 24 + 16 + p1.length + 8);
    const { packets, error } = readEveryChunking(file);
    expect(packets).toHaveLength(1);
    expect(error).toMatchObject({ code: 'RSPY_PCAP_FORMAT', offset: 24 + 16 + p1.length });
  });

  it('an unsupported link type is named, with the offset of the field', () => {
    const { error } = readEveryChunking(pcapFile(147, [{ at: T0, data: p1 }]));
    expect(error).toMatchObject({ code: 'RSPY_PCAP_LINK_TYPE', offset: 20 });
    expect(error!.message).toMatch(/link type #147 \(147\) is not supported; supported: .*ETHERNET \(1\).*LINUX_SLL2 \(276\)/);
  });
});

describe('not a capture', () => {
  it('garbage, text, a repl-spy capture, an empty or tiny file: said at byte 0', () => {
    expect(readEveryChunking(Buffer.from([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])).error).toMatchObject({ code: 'RSPY_PCAP_NOT_A_PCAP', offset: 0 });
    const text = readEveryChunking(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(text.error!.message).toMatch(/not a pcap or pcapng file \(it starts with "GET \/ HT"\)/);
    const rspy = readEveryChunking(Buffer.concat([Buffer.from('RSPY-CAP'), Buffer.alloc(20)]));
    expect(rspy.error!.message).toMatch(/a repl-spy capture, read it with repl-spy replay/);
    expect(read([]).error).toMatchObject({ code: 'RSPY_PCAP_NOT_A_PCAP', offset: 0, problem: 'the input is empty' });
    expect(read([Buffer.from([0xd4, 0xc3])]).error).toMatchObject({ code: 'RSPY_PCAP_NOT_A_PCAP', offset: 0 });
  });
});

describe('pcapng', () => {
  it('sections in both byte orders, interfaces with their own link type, resolution and offset, every packet block kind', () => {
    const file = pcapngFile([
      {
        interfaces: [{ linkType: 1 }, { linkType: 276, tsresol: 9 }],
        packets: [
          { at: T0, data: p1, iface: 0 },
          { at: T0 + 0.000123, data: p2, iface: 1 },
          { at: T0 + 2, data: p2.subarray(0, 8), origLen: p2.length, iface: 1 },
          { at: T0 + 3, data: p1, iface: 0, block: 'obsolete' },
        ],
      },
      {
        bigEndian: true,
        interfaces: [{ linkType: 113, tsresol: 0x80 | 20, tsoffset: 1_000_000, snapLen: 8 }],
        packets: [
          { at: T0 + 10, data: p1, iface: 0 },
          { at: T0 + 10, data: p2, iface: 0, block: 'simple' },
        ],
      },
    ]);
    const { packets, error } = readEveryChunking(file);
    expect(error).toBeNull();
    expect(packets.map((p) => [p.iface, p.linkType, p.data, p.origLen])).toEqual([
      [0, 1, p1.toString('hex'), p1.length],
      [1, 276, p2.toString('hex'), p2.length],
      [1, 276, p2.subarray(0, 8).toString('hex'), p2.length],
      [0, 1, p1.toString('hex'), p1.length],
      [0, 113, p1.toString('hex'), p1.length],
      // a simple packet block holds at most the interface's snap length, and has no time of its own
      [0, 113, p2.subarray(0, 8).toString('hex'), p2.length],
    ]);
    const at = packets.map((p) => p.at);
    expect(at[0]).toBeCloseTo(T0, 3);
    expect(at[1]).toBeCloseTo(T0 + 0.000123, 5); // nanoseconds: below a microsecond kept
    expect(at[2]).toBeCloseTo(T0 + 2, 3);
    expect(at[3]).toBeCloseTo(T0 + 3, 3);
    expect(at[4]).toBeCloseTo(T0 + 10, 2); // 2^-20 s units and a 1e6 s offset
    expect(at[5]).toBe(at[4]);
  });

  it('a packet of an interface no block declared, a block whose two lengths differ, a bad length: the offset', () => {
    const ok = pcapngFile([{ interfaces: [{ linkType: 1 }], packets: [{ at: T0, data: p1 }] }]);
    const epbAt = blockOffsets(ok).find((o) => ok.readUInt32LE(o) === 6)!;
    const undeclared = Buffer.from(ok);
    undeclared.writeUInt32LE(3, epbAt + 8);
    expect(readEveryChunking(undeclared).error).toMatchObject({ code: 'RSPY_PCAP_FORMAT', offset: epbAt });
    const trailing = Buffer.from(ok);
    trailing.writeUInt32LE(12345, ok.length - 4);
    expect(readEveryChunking(trailing).error).toMatchObject({ code: 'RSPY_PCAP_FORMAT', offset: ok.length - 4 });
    const badLength = Buffer.from(ok);
    badLength.writeUInt32LE(13, epbAt + 4);
    expect(readEveryChunking(badLength).error).toMatchObject({ code: 'RSPY_PCAP_FORMAT', offset: epbAt });
    const badOrder = Buffer.from(ok);
    badOrder.writeUInt32LE(0x12345678, 8);
    expect(readEveryChunking(badOrder).error).toMatchObject({ code: 'RSPY_PCAP_FORMAT', offset: 8 });
  });

  it('an interface of an unsupported link type: the offset of its link type field', () => {
    const file = pcapngFile([{ interfaces: [{ linkType: 1 }, { linkType: 195 }], packets: [{ at: T0, data: p1 }] }]);
    const { error, packets } = readEveryChunking(file);
    expect(packets).toEqual([]);
    const secondIdb = blockOffsets(file).filter((o) => file.readUInt32LE(o) === 1)[1]!;
    expect(error).toMatchObject({ code: 'RSPY_PCAP_LINK_TYPE', offset: secondIdb + 8 });
  });

  it('a file cut inside a block', () => {
    const file = pcapngFile([{ interfaces: [{ linkType: 1 }], packets: [{ at: T0, data: p1 }, { at: T0, data: p2 }] }]);
    const { error, packets } = readEveryChunking(file.subarray(0, file.length - 3));
    expect(packets).toHaveLength(1);
    expect(error).toMatchObject({ code: 'RSPY_PCAP_TRUNCATED' });
    expect(error!.message).toMatch(/ends inside a pcapng record/);
  });
});
