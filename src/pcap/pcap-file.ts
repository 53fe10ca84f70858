// Reads packet capture files as written by `tcpdump -w`, `tshark -w` and `dumpcap`: classic pcap (either byte
// order, microsecond or nanosecond timestamps) and pcapng (several sections and interfaces, per-interface link
// type, timestamp resolution and offset). Resumable at every byte: a packet record that lies whole in a chunk is
// handed out as a view of it; only a record split across chunks is joined. Chunks are never reused, so packet
// data stays valid after the call. Pure: bytes in, packets out; bad input throws a PcapError with the offset.
import { PcapError } from './errors.js';
import { linkTypeName, SUPPORTED_LINK_TYPES } from './link-layer.js';

export interface Packet {
  /** link-layer header type (LINKTYPE_*) of the interface it was captured on */
  linkType: number;
  /** interface index (pcapng; 0 for pcap) */
  iface: number;
  /** capture time, epoch ms */
  at: number;
  /** the captured bytes (fewer than origLen when cut by the snap length) */
  data: Buffer;
  /** length of the packet on the wire */
  origLen: number;
  /** byte offset of its record in the input */
  fileOffset: number;
}

export type PacketSink = (p: Packet) => void;

/** Larger records are damage, not packets (tcpdump's largest snap length is 256 KiB). */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PCAPNG_IDB = 1;
const PCAPNG_PB = 2; // obsolete Packet Block
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Iface {
  linkType: number;
  snapLen: number;
  /** timestamp units per millisecond */
  unitsPerMs: number;
  /** if_tsoffset, in ms */
  offsetMs: number;
}

export class PcapFileReader {
  /** 'pcap' or 'pcapng' once the first bytes were read */
  format: 'pcap' | 'pcapng' | null = null;
  packets = 0;
  private le = true;
  private nanos = false;
  private pcapIface: Iface | null = null;
  private ifaces: Iface[] = [];
  /** absolute input offset of the next byte not yet parsed */
  private offset = 0;
  /** a record split across chunks: its first bytes */
  private carry: Buffer | null = null;
  /** time of the last packet (a simple packet block has none of its own) */
  private lastAt = 0;

  constructor(private readonly onPacket: PacketSink) {}

  /** Bytes the reader holds back: a record split across chunks. */
  get heldBytes(): number {
    return this.carry?.length ?? 0;
  }

  feed(chunk: Buffer): void {
    let i = 0;
    for (;;) {
      if (this.carry) {
        const need = this.unitLength(this.carry, 0);
        const want = Math.abs(need);
        if (this.carry.length < want) {
          const take = Math.min(want - this.carry.length, chunk.length - i);
          if (take === 0) return;
          this.carry = Buffer.concat([this.carry, chunk.subarray(i, i + take)]);
          i += take;
          continue;
        }
        const unit = this.carry;
        this.carry = null;
        this.parseUnit(unit, 0, want);
        continue;
      }
      if (i >= chunk.length) return;
      const need = this.unitLength(chunk, i);
      if (need > 0 && i + need <= chunk.length) {
        this.parseUnit(chunk, i, need);
        i += need;
        continue;
      }
      this.carry = chunk.subarray(i);
      return;
    }
  }

  /** The input ended: a record cut short is reported with where it starts. */
  end(): void {
    if (this.format === null) {
      throw new PcapError('RSPY_PCAP_NOT_A_PCAP', 0, this.carry ? `only ${this.carry.length} bytes: too short for a pcap or pcapng file` : 'the input is empty');
    }
    if (this.carry) {
      const want = Math.abs(this.unitLength(this.carry, 0));
      throw new PcapError('RSPY_PCAP_TRUNCATED', this.offset, `the file ends inside a ${this.format} record (${this.carry.length} of ${want} bytes): the capture was cut; every packet before it was read`);
    }
  }

  /** Length of the unit (file header, record or block) starting at b[i]: positive when known, else minus the
   *  number of bytes needed to know it. Throws on a length that cannot be right. */
  private unitLength(b: Buffer, i: number): number {
    const n = b.length - i;
    if (this.format === null) {
      if (n < 4) return -4;
      const magic = b.readUInt32LE(i);
      if (magic === PCAPNG_SHB) return this.blockLength(b, i, n);
      return PCAP_HEADER_BYTES;
    }
    if (this.format === 'pcap') {
      if (n < PCAP_RECORD_HEADER_BYTES) return -PCAP_RECORD_HEADER_BYTES;
      const incl = this.u32(b, i + 8);
      if (incl > MAX_RECORD_BYTES) {
        throw new PcapError('RSPY_PCAP_FORMAT', this.offset, `a packet record of ${incl} bytes cannot be right (at most ${MAX_RECORD_BYTES}): the file is damaged here; every packet before it was read`);
      }
      return PCAP_RECORD_HEADER_BYTES + incl;
    }
    return this.blockLength(b, i, n);
  }

  private blockLength(b: Buffer, i: number, n: number): number {
    if (n < 12) return -12;
    const type = b.readUInt32LE(i);
    if (type === PCAPNG_SHB) {
      // a section header sets the byte order of everything up to the next one
      const bom = b.readUInt32LE(i + 8);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else throw new PcapError('RSPY_PCAP_FORMAT', this.offset + 8, `bad pcapng byte-order magic 0x${bom.toString(16)} in a section header`);
    }
    const len = this.u32(b, i + 4);
    if (len < 12 || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
      throw new PcapError('RSPY_PCAP_FORMAT', this.offset, `a pcapng block length of ${len} bytes cannot be right: the file is damaged here; every packet before it was read`);
    }
    return len;
  }

  private parseUnit(b: Buffer, i: number, len: number): void {
    const at = this.offset;
    if (this.format === null) this.parseFileStart(b, i);
    else if (this.format === 'pcap') this.parsePcapRecord(b, i, len, at);
    else this.parseBlock(b, i, len, at);
    this.offset += len;
  }

  private parseFileStart(b: Buffer, i: number): void {
    const magic = b.readUInt32LE(i);
    if (magic === PCAPNG_SHB) {
      this.format = 'pcapng';
      this.parseBlock(b, i, this.u32(b, i + 4), 0);
      return;
    }
    const be = b.readUInt32BE(i);
    if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS) this.le = true;
    else if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) this.le = false;
    else throw new PcapError('RSPY_PCAP_NOT_A_PCAP', 0, `not a pcap or pcapng file (it starts with ${describeStart(b.subarray(i, i + 8))}); write one with tcpdump -w FILE`);
    this.format = 'pcap';
    this.nanos = this.u32(b, i) === PCAP_MAGIC_NS;
    const snapLen = this.u32(b, i + 16);
    const linkType = this.u32(b, i + 20) & 0xffff; // the upper bits say whether frames carry an FCS
    this.checkLinkType(linkType, 20);
    this.pcapIface = { linkType, snapLen, unitsPerMs: this.nanos ? 1e6 : 1e3, offsetMs: 0 };
  }

  private parsePcapRecord(b: Buffer, i: number, len: number, fileOffset: number): void {
    const iface = this.pcapIface!;
    const sec = this.u32(b, i);
    const frac = this.u32(b, i + 4);
    const origLen = this.u32(b, i + 12);
    this.packet(iface, 0, sec * 1000 + frac / iface.unitsPerMs, b.subarray(i + PCAP_RECORD_HEADER_BYTES, i + len), origLen, fileOffset);
  }

  private parseBlock(b: Buffer, i: number, len: number, fileOffset: number): void {
    const type = this.u32(b, i);
    if (this.u32(b, i + len - 4) !== len) {
      throw new PcapError('RSPY_PCAP_FORMAT', fileOffset + len - 4, `the pcapng block at byte ${fileOffset} ends with a different length than it starts with: the file is damaged here`);
    }
    const body = (min: number): void => {
      if (len < min) throw new PcapError('RSPY_PCAP_FORMAT', fileOffset, `a pcapng block of type ${type} is ${len} bytes, too short for its fields`);
    };
    switch (type) {
      case PCAPNG_SHB:
        body(28);
        this.ifaces = []; // interface ids are per section
        return;
      case PCAPNG_IDB: {
        body(20);
        const linkType = this.u16(b, i + 8);
        this.checkLinkType(linkType, fileOffset + 8);
        const iface: Iface = { linkType, snapLen: this.u32(b, i + 12), unitsPerMs: 1e3, offsetMs: 0 };
        this.readIfaceOptions(b, i + 16, i + len - 4, iface);
        this.ifaces.push(iface);
        return;
      }
      case PCAPNG_EPB:
      case PCAPNG_PB: {
        body(32);
        const id = type === PCAPNG_EPB ? this.u32(b, i + 8) : this.u16(b, i + 8);
        const iface = this.iface(id, fileOffset);
        const captured = this.u32(b, i + 20);
        if (28 + captured > len - 4) {
          throw new PcapError('RSPY_PCAP_FORMAT', fileOffset + 20, `a packet block says ${captured} captured bytes but has room for ${len - 32}: the file is damaged here`);
        }
        const at = timestamp(this.u32(b, i + 12), this.u32(b, i + 16), iface.unitsPerMs) + iface.offsetMs;
        this.packet(iface, id, at, b.subarray(i + 28, i + 28 + captured), this.u32(b, i + 24), fileOffset);
        return;
      }
      case PCAPNG_SPB: {
        body(16);
        const iface = this.iface(0, fileOffset);
        const origLen = this.u32(b, i + 8);
        const captured = Math.min(origLen, len - 16, iface.snapLen > 0 ? iface.snapLen : Infinity);
        // a simple packet block has no timestamp: it gets the last one seen
        this.packet(iface, 0, this.lastAt, b.subarray(i + 12, i + 12 + captured), origLen, fileOffset);
        return;
      }
      default:
        return; // name resolution, statistics, custom blocks: nothing for us
    }
  }

  private packet(iface: Iface, id: number, at: number, data: Buffer, origLen: number, fileOffset: number): void {
    this.packets++;
    this.lastAt = at;
    this.onPacket({ linkType: iface.linkType, iface: id, at, data, origLen, fileOffset });
  }

  private iface(id: number, fileOffset: number): Iface {
    const iface = this.ifaces[id];
    if (!iface) throw new PcapError('RSPY_PCAP_FORMAT', fileOffset, `a packet of interface ${id}, which no interface block declared before it`);
    return iface;
  }

  private readIfaceOptions(b: Buffer, from: number, to: number, iface: Iface): void {
    let o = from;
    while (o + 4 <= to) {
      const code = this.u16(b, o);
      const len = this.u16(b, o + 2);
      if (code === 0 || o + 4 + len > to) return;
      if (code === OPT_IF_TSRESOL && len >= 1) {
        const v = b[o + 4]!;
        const perSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        iface.unitsPerMs = perSecond / 1000;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        iface.offsetMs = Number(this.le ? b.readBigInt64LE(o + 4) : b.readBigInt64BE(o + 4)) * 1000;
      }
      o += 4 + ((len + 3) & ~3);
    }
  }

  private checkLinkType(linkType: number, offset: number): void {
    if (SUPPORTED_LINK_TYPES.has(linkType)) return;
    const known = [...SUPPORTED_LINK_TYPES].map((t) => `${linkTypeName(t)} (${t})`).join(', ');
    throw new PcapError('RSPY_PCAP_LINK_TYPE', offset, `link type ${linkTypeName(linkType)} (${linkType}) is not supported; supported: ${known}. Capture on an Ethernet or loopback interface, or with -i any`);
  }

  private u32(b: Buffer, o: number): number {
    return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }

  private u16(b: Buffer, o: number): number {
    return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }
}

/** A 64-bit pcapng timestamp in ms. Past 2^53 units (nanoseconds since 1970) doubles lose the last digits: the
 *  whole milliseconds are then divided out exactly. */
function timestamp(high: number, low: number, unitsPerMs: number): number {
  if (high < 2 ** 21 || !Number.isInteger(unitsPerMs)) return (high * 2 ** 32 + low) / unitsPerMs;
  const units = (BigInt(high) << 32n) | BigInt(low);
  const per = BigInt(unitsPerMs);
  return Number(units / per) + Number(units % per) / unitsPerMs;
}

/** What a file that is not a capture starts with, for the error message. */
function describeStart(b: Buffer): string {
  if (b.toString('latin1', 0, 8) === 'RSPY-CAP') return '"RSPY-CAP": a repl-spy capture, read it with repl-spy replay';
  const text = b.toString('latin1');
  const printable = /^[\x20-\x7e\r\n\t]+$/.test(text);
  return printable ? JSON.stringify(text) : `0x${b.toString('hex')}`;
}
