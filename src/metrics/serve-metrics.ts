// `--metrics [host:]port`: GET /metrics in the Prometheus text format, for any command that has a pipeline (the
// proxy, the lab, pcap -, tail). One call wires it: the pipeline's events and wire events in, the lag read from
// the pipeline at each scrape with the clock its events use.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics } from 'prom-client';
import { ReplSpyError } from '../core/errors.js';
import { formatHostPort, type HostPort } from '../core/host-port.js';
import type { Pipeline } from '../decode/pipeline.js';
import { ReplicationMetrics } from './replication-metrics.js';

export interface MetricsEndpoint {
  /** e.g. http://127.0.0.1:9121/metrics */
  url: string;
  close(): Promise<void>;
}

export interface ServeMetricsOptions {
  /** the time of the events now: the wall clock live, the packets' time for pcap (as the decoders' ticks) */
  now: () => number;
  /** events the output has dropped so far */
  droppedEvents?: () => number;
}

export async function serveMetrics(listen: HostPort, pipeline: Pipeline, opts: ServeMetricsOptions): Promise<MetricsEndpoint> {
  const metrics = new ReplicationMetrics(() => pipeline.currentLag(opts.now()), opts.droppedEvents);
  collectDefaultMetrics({ register: metrics.registry }); // process_* and nodejs_*: the proxy's own CPU and memory
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('repl-spy serves GET /metrics\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const addr = formatHostPort(listen.host, listen.port);
      reject(new ReplSpyError('RSPY_LISTEN', `--metrics: cannot listen on ${addr} (${err.code ?? err.message})`, { hint: 'choose another port with --metrics', cause: err }));
    });
    server.listen(listen.port, listen.host, () => resolve());
  });
  const unsubscribe = pipeline.subscribe((e) => metrics.observe(e));
  const untap = pipeline.tapWire((e) => metrics.wire(e));
  const bound = server.address() as AddressInfo;
  return {
    url: `http://${formatHostPort(bound.address, bound.port)}/metrics`,
    close: () =>
      new Promise((resolve) => {
        unsubscribe();
        untap();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
