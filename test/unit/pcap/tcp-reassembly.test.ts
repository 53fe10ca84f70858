// TCP reassembly of one direction: in order under every segmentation of the stream; reordered, duplicated and
// overlapping segments (the first copy wins); missing segments and snap-length cuts as gaps of the right size at
// the right place, never invented bytes; the reassembly window, the segment limit and the hole age; sequence
// numbers that wrap; a stream joined mid-way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REASSEMBLY_HOLE_MS, REASSEMBLY_MAX_SEGMENTS, REASSEMBLY_WINDOW_BYTES, TcpDirection } from '../../../src/pcap/tcp-reassembly.js';
import { chunkings } from '../../helpers/chunkings.js';

type Out = { data: string } | { gap: number; cause: string };

function direction(): { dir: TcpDirection; out: Out[]; stream(): { text: string; gaps: number } } {
  const out: Out[] = [];
  const dir = new TcpDirection({
    data: (d) => out.push({ data: d.toString('latin1') }),
    gap: (bytes, _at, cause) => out.push({ gap: bytes, cause }),
  });
  return {
    dir,
    out,
    // what was delivered, a gap shown as that many '?'
    stream: () => ({
      text: out.map((o) => ('data' in o ? o.data : '?'.repeat(o.gap))).join(''),
      gaps: out.reduce((n, o) => n + ('gap' in o ? o.gap : 0), 0),
    }),
  };
}

const ISN = 4000;
const text = 'The replication stream: *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n and more.';

/** Segments of `text` at these [start, end) ranges (positions in the stream), as (seq, payload). */
function segs(ranges: [number, number][], isn = ISN, source = text): { seq: number; payload: Buffer }[] {
  return ranges.map(([s, e]) => ({ seq: (isn + 1 + s) >>> 0, payload: Buffer.from(source.slice(s, e), 'latin1') }));
}

function feed(dir: TcpDirection, list: { seq: number; payload: Buffer }[], at = 0): void {
  for (const s of list) dir.segment(s.seq, s.payload, s.payload.length, false, at);
}

function rangesOf(chunks: Buffer[]): [number, number][] {
  let pos = 0;
  return chunks.map((c) => [pos, (pos += c.length)] as [number, number]);
}

describe('TcpDirection', () => {
  it('in order, under every segmentation of the stream', () => {
    for (const { name, chunks } of chunkings(Buffer.from(text, 'latin1'))) {
      const { dir, stream } = direction();
      dir.syn(ISN);
      feed(dir, segs(rangesOf(chunks)));
      expect(stream(), name).toEqual({ text, gaps: 0 });
      expect(dir.held, name).toBe(0);
    }
  });

  it('reversed, duplicated, and every segment retransmitted with other bytes: the first copy wins', () => {
    for (const { name, chunks } of chunkings(Buffer.from(text, 'latin1'), 5)) {
      const ranges = rangesOf(chunks);
      const { dir, stream } = direction();
      dir.syn(ISN);
      const forged = segs(ranges, ISN, text.replace(/./gs, '#'));
      const reversed = segs(ranges).reverse();
      // each segment twice, and after the whole stream a forged retransmission of every segment
      feed(dir, reversed.flatMap((s) => [s, s]));
      feed(dir, forged);
      expect(stream(), name).toEqual({ text, gaps: 0 });
      expect(dir.duplicateBytes, name).toBe(2 * text.length);
    }
  });

  it('overlapping out-of-order segments keep the bytes that came first', () => {
    const { dir, stream } = direction();
    dir.syn(ISN);
    const forged = text.replace(/./gs, '#');
    feed(dir, segs([[20, 30]]));
    feed(dir, segs([[15, 25]], ISN, forged)); // 20-25 already held: only 15-20 taken from it
    feed(dir, segs([[28, 40]], ISN, forged)); // 28-30 held: 30-40 taken
    feed(dir, segs([[0, 15]]));
    feed(dir, segs([[40, text.length]]));
    const want = text.slice(0, 15) + forged.slice(15, 20) + text.slice(20, 30) + forged.slice(30, 40) + text.slice(40);
    expect(stream()).toEqual({ text: want, gaps: 0 });
  });

  it('a missing segment is a gap of its size at its place, when the capture ends', () => {
    const { dir, stream, out } = direction();
    dir.syn(ISN);
    feed(dir, segs([[0, 10], [20, 30], [30, text.length]]));
    expect(stream().text).toBe(text.slice(0, 10));
    expect(dir.held).toBe(text.length - 20);
    dir.flush(1);
    expect(stream()).toEqual({ text: text.slice(0, 10) + '?'.repeat(10) + text.slice(20), gaps: 10 });
    expect(out.find((o) => 'gap' in o)).toEqual({ gap: 10, cause: 'not-captured' });
  });

  it('a segment cut by the snap length: the captured bytes, then a gap for the rest, at once', () => {
    const { dir, out } = direction();
    dir.syn(ISN);
    dir.segment(ISN + 1, Buffer.from(text.slice(0, 10)), 30, false, 0);
    dir.segment(ISN + 31, Buffer.from(text.slice(30, 35)), 5, false, 0);
    expect(out).toEqual([{ data: text.slice(0, 10) }, { gap: 20, cause: 'snap-length' }, { data: text.slice(30, 35) }]);
    // a cut segment that arrives out of order is cut where it belongs
    const o2 = direction();
    o2.dir.syn(ISN);
    o2.dir.segment(ISN + 11, Buffer.from(text.slice(10, 12)), 10, false, 0);
    o2.dir.segment(ISN + 1, Buffer.from(text.slice(0, 10)), 10, false, 0);
    expect(o2.out).toEqual([{ data: text.slice(0, 10) }, { data: text.slice(10, 12) }, { gap: 8, cause: 'snap-length' }]);
  });

  it('a hole is given up when what waits behind it would pass the reassembly window', () => {
    const { dir, out } = direction();
    dir.syn(ISN);
    const block = Buffer.alloc(64 * 1024, 0x61);
    let seq = ISN + 1 + 100; // 100 bytes never come
    let n = 0;
    while (out.length === 0) {
      dir.segment(seq, block, block.length, false, 0);
      seq += block.length;
      n++;
      expect(dir.held).toBeLessThanOrEqual(REASSEMBLY_WINDOW_BYTES);
    }
    expect(100 + n * block.length).toBeGreaterThan(REASSEMBLY_WINDOW_BYTES);
    expect(100 + (n - 1) * block.length).toBeLessThanOrEqual(REASSEMBLY_WINDOW_BYTES);
    expect(out[0]).toEqual({ gap: 100, cause: 'not-captured' });
    expect(dir.held).toBe(0);
  });

  it('a hole is given up past the segment limit, and when it is older than the hole age', () => {
    const { dir, out } = direction();
    dir.syn(ISN);
    for (let k = 0; k <= REASSEMBLY_MAX_SEGMENTS; k++) dir.segment(ISN + 1 + 2 + 2 * k, Buffer.from('x'), 1, false, 0); // every other byte
    expect(out[0]).toEqual({ gap: 2, cause: 'not-captured' });
    const aged = direction();
    aged.dir.syn(ISN);
    aged.dir.segment(ISN + 11, Buffer.from('late'), 4, false, 1000);
    aged.dir.expire(1000 + REASSEMBLY_HOLE_MS);
    expect(aged.out).toEqual([]);
    aged.dir.expire(1000 + REASSEMBLY_HOLE_MS + 1);
    expect(aged.out).toEqual([{ gap: 10, cause: 'not-captured' }, { data: 'late' }]);
  });

  it('sequence numbers that wrap past 2^32; positions go on', () => {
    for (const { name, chunks } of chunkings(Buffer.from(text, 'latin1'), 3)) {
      const { dir, stream } = direction();
      const isn = 0xffffffff - 20;
      dir.syn(isn);
      feed(dir, segs(rangesOf(chunks), isn).reverse());
      expect(stream(), name).toEqual({ text, gaps: 0 });
      expect(dir.pos, name).toBe(text.length);
    }
  });

  it('joined mid-stream: the first segment seen is where the direction starts; a bare ACK says nothing', () => {
    const { dir, stream } = direction();
    dir.segment(123456, Buffer.alloc(0), 0, false, 0);
    expect(dir.started).toBe(false);
    feed(dir, [{ seq: 9000, payload: Buffer.from('abc') }, { seq: 8990, payload: Buffer.from('too early') }, { seq: 9003, payload: Buffer.from('def') }]);
    expect(dir.fromStart).toBe(false);
    expect(stream()).toEqual({ text: 'abcdef', gaps: 0 });
  });

  it("the last segments lost with nothing behind them: the peer's ACK tells, a gap after the hole age or at the end", () => {
    const { dir, stream } = direction();
    dir.syn(ISN);
    feed(dir, segs([[0, 10]]));
    dir.acked(ISN + 1 + 5, 0); // bytes delivered already: nothing missing
    dir.acked(ISN + 1 + 30, 0);
    dir.expire(REASSEMBLY_HOLE_MS);
    expect(stream()).toEqual({ text: text.slice(0, 10), gaps: 0 }); // a retransmission may still come
    feed(dir, segs([[10, 20]]), 100); // one does: the missing bytes are younger now
    dir.expire(REASSEMBLY_HOLE_MS + 50);
    expect(stream().gaps).toBe(0);
    dir.expire(REASSEMBLY_HOLE_MS + 101);
    expect(stream()).toEqual({ text: text.slice(0, 20) + '?'.repeat(10), gaps: 10 });
    // at the end of the capture at once; an ACK of the FIN counts no byte for it
    const end = direction();
    end.dir.syn(ISN);
    feed(end.dir, segs([[0, 10]]));
    end.dir.acked(ISN + 1 + 21, 0); // the ACK of the FIN, reordered before it
    end.dir.segment(ISN + 1 + 20, Buffer.alloc(0), 0, true, 0);
    end.dir.acked(ISN + 1 + 21, 0);
    end.dir.flush(0);
    expect(end.stream()).toEqual({ text: text.slice(0, 10) + '?'.repeat(10), gaps: 10 });
    expect(end.dir.finished).toBe(true);
  });

  it('a FIN ends the direction once the bytes before it are in; a hole before it becomes a gap at the end', () => {
    const { dir } = direction();
    dir.syn(ISN);
    dir.segment(ISN + 1 + 5, Buffer.from('world'), 5, true, 0);
    expect(dir.finished).toBe(false);
    dir.segment(ISN + 1, Buffer.from('hello'), 5, false, 0);
    expect(dir.finished).toBe(true);
    const lost = direction();
    lost.dir.syn(ISN);
    lost.dir.segment(ISN + 1 + 5, Buffer.alloc(0), 0, true, 0);
    lost.dir.flush(0);
    expect(lost.out).toEqual([{ gap: 5, cause: 'not-captured' }]);
    expect(lost.dir.finished).toBe(true);
  });

  it('any order, duplicates and losses: every byte delivered is the stream byte at its place, gaps say the rest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        (sizes, shuffle, dropped) => {
          const ranges: [number, number][] = [];
          for (let pos = 0, k = 0; pos < text.length; k++) ranges.push([pos, (pos = Math.min(text.length, pos + sizes[k % sizes.length]!))]);
          let list = segs(ranges).filter((_, k) => !dropped[k]);
          list = [...list, ...list.filter((_, k) => k % 3 === 0)]; // some duplicates
          for (let k = 0; k < shuffle.length && list.length > 1; k++) {
            const a = shuffle[k]! % list.length;
            const b = (shuffle[k]! >> 4) % list.length;
            [list[a], list[b]] = [list[b]!, list[a]!];
          }
          const { dir, stream } = direction();
          dir.syn(ISN);
          feed(dir, list);
          dir.flush(0);
          const got = stream();
          const lost = ranges.filter((_, k) => dropped[k]);
          const lostBytes = lost.reduce((n, [s, e]) => n + e - s, 0);
          const lastKept = Math.max(0, ...ranges.filter((_, k) => !dropped[k]).map(([, e]) => e));
          // a loss at the very end is no gap: nothing after it says it happened
          const trailing = text.length - lastKept;
          expect(got.gaps).toBe(lostBytes - trailing);
          expect(got.text.length).toBe(lastKept);
          for (let p = 0; p < got.text.length; p++) if (got.text[p] !== '?') expect(got.text[p]).toBe(text[p]);
        },
      ),
    );
  });
});
