// `--report FILE`: a pipeline's events gathered into the report model as they come, written as HTML when the
// command ends. One call wires it (the proxy, the lab, pcap, tail).
import { renameSync, writeFileSync } from 'node:fs';
import type { Pipeline } from '../decode/pipeline.js';
import { renderReport } from './report-html.js';
import { ReportBuilder, type ReportSource } from './report-model.js';

export interface ReportRecorder {
  file: string;
  /** Renders what was seen up to `endAt` and writes the file (whole or not at all); returns its size. */
  write(endAt?: number): number;
}

export function recordReport(file: string, pipeline: Pipeline, source: ReportSource): ReportRecorder {
  const builder = new ReportBuilder(source);
  pipeline.subscribe((e) => builder.observe(e));
  return {
    file,
    write(endAt) {
      return writeReport(file, renderReport(builder.build(endAt)));
    },
  };
}

/** Written beside and renamed, so a reader never sees half a report; mode 0600 as captures (it names keys). */
export function writeReport(file: string, html: string): number {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, html, { mode: 0o600 });
  renameSync(tmp, file);
  return Buffer.byteLength(html);
}
