// `inspect` on a capture: the snapshot of a link, decoded as it crossed the proxy. The capture is written
// here from a recorded replication session of the wire corpus (real Redis 7.4 bytes, diskless, HFE keys).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeHeader, encodeRecord } from '../../../src/capture/format.js';
import { inspect } from '../../../src/inspect/inspect.js';
import { humanReport } from '../../../src/inspect/report.js';
import { SnapshotLocator } from '../../../src/replay/full-sync.js';
import { RdbObserver } from '../../../src/decode/rdb/rdb-observer.js';
import { requireCorpus } from '../../helpers/corpus.js';
import { corpusEvents } from '../capture/corpus-events.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'repl-spy-inspect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!requireCorpus('wire', 'inspect on captures written from recorded sessions'))('inspect a capture', () => {
  for (const session of ['r74-diskless-hfe', 'r70-disk-auth']) {
    it(`${session}: the link's snapshot, as the RDB decoder sees it`, async () => {
      const events = corpusEvents(session);
      const file = path.join(dir, `${session}.rspy`);
      const header = encodeHeader({ startedAt: events[0].at, upstream: '127.0.0.1:6379', tool: { name: 'repl-spy', version: 'test' }, options: { captureRdb: 'full', captureSecrets: false } });
      writeFileSync(file, Buffer.concat([header, ...events.map((e) => encodeRecord(e)), encodeRecord({ kind: 'end', at: events.at(-1)!.at })]));
      const result = await inspect(file, { topN: 3, tailLines: 3 });
      expect(result.kind).toBe('capture');
      expect(result.problems).toEqual([]);
      // the oracle: the same RDB bytes, cut out of the master's stream independently, fed whole
      const m2r = Buffer.concat(events.flatMap((e) => (e.kind === 'bytes' && e.from === 'master' && e.link === result.rdb!.link ? [e.chunk] : [])));
      const locator = new SnapshotLocator();
      locator.feed(m2r);
      const rdb = m2r.subarray(locator.found!.rdbStart, locator.found!.rdbEnd);
      const o = new RdbObserver({ topN: 3 });
      o.feed(rdb, () => {});
      o.end(() => {});
      const { link, ...summary } = result.rdb!;
      expect(summary).toEqual(o.info());
      expect(summary).toMatchObject({ complete: true, checksum: 'verified', magic: 'REDIS' });
      expect(humanReport(result)).toContain(`link      ${link}`);
    });
  }
});
