// The live proxy's view of a snapshot: fed exactly the RDB bytes of one link (the `$` line and diskless
// EOF marks already stripped), it reports 'header' once the magic, version and leading AUX fields are known,
// 'summary' when the RDB is complete, and 'error' for bad input (then only counts bytes; the summary of
// what was valid before still follows at end()). Everything reported is JSON-serialisable.

import type { RdbReport, RdbSummary } from '../../core/rdb-info.js';
import { RdbDecoder, type RdbDecoderOptions } from './rdb-decoder.js';
import { RdbSummaryBuilder, type KeyInfo } from './rdb-summary.js';

export type { KeyInfo } from './rdb-summary.js';
export type RdbEmit = (report: RdbReport) => void;

export class RdbObserver {
  private readonly summary: RdbSummaryBuilder;
  private readonly decoder: RdbDecoder;
  private emit: RdbEmit = () => {};
  private summarized = false;

  constructor(opts: { topN?: number; onKey?: (k: KeyInfo) => void } & RdbDecoderOptions = {}) {
    const summary = new RdbSummaryBuilder(opts.topN ?? 10, opts.onKey);
    this.summary = summary;
    this.decoder = new RdbDecoder({
      header: (h) => {
        summary.header(h);
        this.emit({ phase: 'header', info: summary.headerInfo(h) });
      },
      aux: (k, v) => summary.aux(k, v),
      opcode: (n) => summary.opcode(n),
      resizeDb: (db, n, e) => summary.resizeDb(db, n, e),
      key: (k) => summary.key(k),
      func: (l, e) => summary.func(l, e),
      moduleAux: (m) => summary.moduleAux(m),
      end: (e) => {
        summary.end(e);
        this.sendSummary();
      },
      error: (e) => {
        summary.error(e);
        this.emit({ phase: 'error', info: { ...e } });
      },
    }, opts);
  }

  feed(chunk: Buffer, emit: RdbEmit): void {
    this.emit = emit;
    this.decoder.feed(chunk);
  }

  end(emit: RdbEmit): void {
    this.emit = emit;
    this.decoder.end();
    this.sendSummary();
  }

  /** Where the RDB ended (after its checksum) once it is complete; bytes fed after it are not RDB. */
  get rdbBytes(): number | null {
    return this.summary.end_?.rdbBytes ?? null;
  }

  /** The summary so far (complete: false until the RDB ended). */
  info(): RdbSummary {
    return this.summary.toJSON(this.decoder.bytes, this.decoder.trailingBytes);
  }

  private sendSummary(): void {
    if (this.summarized) return;
    this.summarized = true;
    this.emit({ phase: 'summary', info: this.info() });
  }
}
