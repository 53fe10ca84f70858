// Client links in the TUI and the metrics: summarised per kind, never a replica row, never a per-replica series.
import { describe, expect, it } from 'vitest';
import type { ReplEvent, WireEvent } from '../../../src/core/events.js';
import { createPipeline } from '../../../src/decode/pipeline.js';
import { ReplicationMetrics } from '../../../src/metrics/replication-metrics.js';
import { renderFrame } from '../../../src/tui/format/frame.js';
import { apply, createTuiState } from '../../../src/tui/model/state.js';
import { createUi } from '../../../src/tui/model/ui.js';
import { resp } from '../../helpers/decode-case.js';

/** Three clients through the pipeline (one Sentinel, one sending garbage) and a replica that asks for a sync. */
function session(): ReplEvent[] {
  const out: ReplEvent[] = [];
  const p = createPipeline();
  p.subscribe((e) => out.push(e));
  const wire = (e: WireEvent) => p.wire(e);
  const open = (link: number, at: number) => wire({ kind: 'open', link, at, replica: `127.0.0.1:${50000 + link}`, master: 'm:6379' });
  const send = (link: number, at: number, from: 'master' | 'replica', text: string) => wire({ kind: 'bytes', link, at, from, chunk: Buffer.from(text) });
  open(1, 1);
  send(1, 2, 'replica', resp('CLIENT', 'SETNAME', 'sentinel-1a2b3c4d-cmd') + resp('PING'));
  open(2, 3);
  send(2, 4, 'replica', resp('GET', 'a') + resp('GET', 'b'));
  send(2, 5, 'master', '$1\r\nx\r\n$-1\r\n');
  wire({ kind: 'close', link: 2, at: 6, by: 'replica', reason: 'bye' });
  open(3, 7);
  send(3, 8, 'replica', '*x\r\n');
  open(4, 9);
  send(4, 10, 'replica', resp('PSYNC', '?', '-1'));
  return out;
}

describe('client links, summarised', () => {
  it('the links view shows the replica and one line for the clients: open per kind, closed, commands', () => {
    const s = createTuiState();
    for (const e of session()) apply(s, e);
    expect([...s.replicas.keys()]).toEqual([4]);
    const frame = renderFrame(s, createUi(), { width: 140, height: 20, label: 'x', replay: null, faults: false }).lines.join('\n');
    expect(frame).toContain('clients: 2 open (sentinel 1, unknown 1), 1 closed, 2 commands, 1 sent bytes a server refuses');
  });

  it('metrics count client links by kind, and their commands when they close', async () => {
    const metrics = new ReplicationMetrics(() => []);
    for (const e of session()) metrics.observe(e);
    const text = await metrics.text();
    expect(text).toMatch(/^replspy_client_links_open\{kind="sentinel"\} 1$/m);
    expect(text).toMatch(/^replspy_client_links_open\{kind="unknown"\} 1$/m);
    expect(text).toMatch(/^replspy_client_links_total\{kind="unknown"\} 1$/m);
    expect(text).toMatch(/^replspy_client_commands_total 2$/m);
  });
});
