// Which links share one snapshot: the same +FULLRESYNC replid and offset while one BGSAVE runs. With an idle
// master a new BGSAVE repeats the replid and offset, so the group must close when its BGSAVE is known to be over.
import { describe, expect, it } from 'vitest';
import type { From, ReplEvent } from '../../../src/core/events.js';
import { createPipeline } from '../../../src/decode/pipeline.js';
import { chunkings } from '../../helpers/chunkings.js';

interface Step {
  link: number;
  from: From;
  bytes: string;
}

const REPLID = '8de0f2b3c2a3e1c0a4b5c6d7e8f9a0b1c2d3e4f5';
const fullresync = (link: number): Step => ({ link, from: 'master', bytes: `+FULLRESYNC ${REPLID} 0\r\n` });

/** The shared-snapshot events of the steps, with step `split` cut as `chunks`. */
function sharedSnapshots(steps: Step[], split?: { step: number; chunks: Buffer[] }): number[][] {
  const out: ReplEvent[] = [];
  const pipeline = createPipeline();
  pipeline.subscribe((e) => out.push(e));
  steps.forEach((s, i) => {
    const chunks = split?.step === i ? split.chunks : [Buffer.from(s.bytes, 'latin1')];
    for (const chunk of chunks) pipeline.wire({ kind: 'bytes', link: s.link, at: i, from: s.from, chunk });
  });
  return out.flatMap((e) => (e.type === 'shared-snapshot' ? [e.links] : []));
}

function expectUnderEveryChunking(steps: Step[], expected: number[][]): void {
  expect(sharedSnapshots(steps)).toEqual(expected);
  steps.forEach((s, step) => {
    for (const c of chunkings(Buffer.from(s.bytes, 'latin1'), 10)) {
      expect(sharedSnapshots(steps, { step, chunks: c.chunks }), `step ${step} ${c.name}`).toEqual(expected);
    }
  });
}

describe('shared snapshots', () => {
  it('disk: a +FULLRESYNC after the first `$<len>` of the group is a new BGSAVE, and starts its own group', () => {
    expectUnderEveryChunking(
      [
        fullresync(1),
        fullresync(2),
        { link: 1, from: 'master', bytes: '$3\r\nabc' }, // the BGSAVE of links 1 and 2 is over
        fullresync(3), // idle master: same replid and offset, but a new BGSAVE
        { link: 2, from: 'master', bytes: '$3\r\nabc' }, // must not close the group of link 3
        fullresync(4), // joins link 3's BGSAVE
      ],
      [
        [1, 2],
        [3, 4],
      ],
    );
  });

  it('diskless: members of one fork share it even when one +FULLRESYNC is read after the other link\'s $EOF: line', () => {
    const mark = 'f'.repeat(40);
    expectUnderEveryChunking(
      [fullresync(1), { link: 1, from: 'master', bytes: `$EOF:${mark}\r\nREDIS` }, fullresync(2)],
      [[1, 2]],
    );
  });

  it('a group is over once its transfer ended: a later +FULLRESYNC with the same offset is alone', () => {
    const mark = 'e'.repeat(40);
    expectUnderEveryChunking(
      [fullresync(1), { link: 1, from: 'master', bytes: `$EOF:${mark}\r\nREDIS${mark}` }, fullresync(2)],
      [],
    );
  });

  it('diskless: a member whose EOF mark shows another fork leaves the group (idle master, same replid and offset)', () => {
    const [a, b] = ['a'.repeat(40), 'b'.repeat(40)];
    expectUnderEveryChunking(
      [
        fullresync(1),
        { link: 1, from: 'master', bytes: `$EOF:${a}\r\nREDIS` }, // link 1's fork is streaming
        fullresync(2), // read now, but its fork is the next one: the mark will tell
        fullresync(3),
        { link: 2, from: 'master', bytes: `$EOF:${b}\r\n` },
        { link: 3, from: 'master', bytes: `$EOF:${b}\r\n` },
      ],
      [
        [1, 2], // tentative: same replid and offset
        [1, 2, 3],
        [1, 3], // link 2 had another fork
        [1], // so had link 3: link 1 shared with nobody
        [2, 3], // links 2 and 3 shared theirs
      ],
    );
  });
});
