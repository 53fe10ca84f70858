// Hands a link's RDB payload to the streaming RDB decoder and turns what it finds into `rdb-info` events.
import type { RdbSinkContext } from './link-decoder.js';
import type { RdbSink } from './master-stream.js';
import type { RdbDecoderOptions } from './rdb/rdb-decoder.js';
import { RdbObserver } from './rdb/rdb-observer.js';
import type { RdbReport } from '../core/rdb-info.js';

export function makeRdbSink(ctx: RdbSinkContext, opts: RdbDecoderOptions = {}): RdbSink {
  const observer = new RdbObserver(opts);
  let at = 0;
  const emit = (report: RdbReport): void => {
    if (report.phase === 'header') {
      const db = Number(report.info.aux['repl-stream-db']);
      if (Number.isSafeInteger(db) && db >= 0) ctx.setStartDb(db);
    }
    ctx.emit({ type: 'rdb-info', at, link: ctx.link, ...report });
  };
  return {
    feed(chunk, t) {
      at = t;
      observer.feed(chunk, emit);
    },
    end(t) {
      at = t;
      observer.end(emit);
    },
  };
}
