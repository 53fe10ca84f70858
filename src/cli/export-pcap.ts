// `repl-spy export FILE --format pcap [--link N]`: the links of a capture as a pcap file for Wireshark/tshark.
import { once } from 'node:events';
import type { Capture } from '../capture/reader.js';
import { ReplSpyError } from '../core/errors.js';
import { PcapExporter, pcapFileHeader } from '../pcap/pcap-writer.js';

const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** Writes the pcap to stdout; a capture damaged part way gives the packets before the damage, then throws. */
export async function exportPcap(capture: Capture, link: number | undefined): Promise<void> {
  if (process.stdout.isTTY) {
    throw new ReplSpyError('RSPY_BAD_ARGS', 'a pcap file is binary: redirect stdout to a file', { hint: `e.g. repl-spy export ${capture.file} --format pcap > out.pcap` });
  }
  process.stdout.write(pcapFileHeader());
  const exporter = new PcapExporter((parts) => {
    for (const p of parts) process.stdout.write(p);
  });
  let lastAt = capture.meta.startedAt;
  try {
    for await (const e of capture.events()) {
      lastAt = e.at;
      if (!('link' in e) || (link !== undefined && e.link !== link)) continue; // ticks and INFO readings are no packets
      exporter.wire(e);
      if (process.stdout.writableLength > HIGH_WATER_BYTES) await once(process.stdout, 'drain');
    }
  } finally {
    exporter.end(capture.endAt ?? lastAt);
    for (const note of exporter.notes) process.stderr.write(`repl-spy: ${note}\n`);
  }
}
