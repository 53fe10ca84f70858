// The proxy under test, in its own process so its CPU and peak RSS are its own. Wired like the CLI's proxy
// command (src/cli/proxy-command.ts) but the output is a counting subscriber: formatting output is not the
// forward path. Modes add one layer each: pump (forward + tap only), decode (+ link decoding), capture
// (+ capture file), full (+ RDB analysis = everything on); nocrc is full with `--no-rdb-checksum`.
// Talks to its parent over IPC: {ready, port}; on 'stats' -> {stats}; on 'reset-latency' forgets the tap-time
// histogram (end of a warm-up); on 'stop' -> closes and exits. An optional fourth argument, JSON {ca, cert, key},
// makes both legs TLS with those files (as --tls-cert/--tls-key/--tls-ca and --upstream-tls/-ca/-cert/-key).
import { createPipeline } from '../../dist/decode/pipeline.js';
import { startProxy } from '../../dist/proxy/index.js';
import { openCaptureWriter } from '../../dist/capture/writer.js';
import { makeRdbSink } from '../../dist/decode/rdb-sink.js';
import { tlsFromFlags } from '../../dist/net/tls-options.js';
import { createHistogram } from 'node:perf_hooks';

const [upstreamPort, mode, capturePath, tlsFiles] = process.argv.slice(2);
const MODES = ['pump', 'decode', 'capture', 'full', 'nocrc'];
if (!MODES.includes(mode)) throw new Error(`mode must be one of ${MODES.join(', ')}`);

const decode = mode !== 'pump';
const counts = { events: 0, commands: 0, wireChunks: 0, wireBytes: 0, violations: 0 };
const analysis = mode === 'full' || mode === 'nocrc';
const pipeline = decode ? createPipeline({ rdbSink: analysis ? (ctx) => makeRdbSink(ctx, { verifyChecksum: mode === 'full' }) : undefined }) : null;
pipeline?.subscribe((e) => {
  counts.events++;
  if (e.type === 'command') counts.commands++;
  else if (e.type === 'protocol-violation') counts.violations++;
});
const capture =
  mode === 'capture' || analysis
    ? openCaptureWriter({ path: capturePath, upstream: `127.0.0.1:${upstreamPort}`, captureRdb: 'full', captureSecrets: false })
    : null;

// The tap runs on the forward path after the chunk was written: its time delays the next chunk, so it is the
// latency decoding adds.
const tapNs = createHistogram();
const onWire = pipeline
  ? (e) => {
      const t0 = process.hrtime.bigint();
      counts.wireChunks++;
      if (e.kind === 'bytes') counts.wireBytes += e.chunk.length;
      capture?.wire(e);
      pipeline.wire(e);
      tapNs.record(Number(process.hrtime.bigint() - t0) || 1);
    }
  : (e) => {
      counts.wireChunks++;
      if (e.kind === 'bytes') counts.wireBytes += e.chunk.length;
    };

const tlsPaths = tlsFiles ? JSON.parse(tlsFiles) : null;
const tls = tlsPaths
  ? tlsFromFlags({
      tlsCert: tlsPaths.cert, tlsKey: tlsPaths.key, tlsCa: tlsPaths.ca,
      upstreamTls: true, upstreamCa: tlsPaths.ca, upstreamCert: tlsPaths.cert, upstreamKey: tlsPaths.key,
    })
  : { listen: null, upstream: null };
const proxy = await startProxy({
  listen: { host: '127.0.0.1', port: 0 },
  upstream: { host: '127.0.0.1', port: Number(upstreamPort) },
  onWire,
  listenTls: tls.listen,
  upstreamTls: tls.upstream,
});

// Sampled RSS (the OS's maxRSS is the true peak; samples show the shape).
let rssSampleMax = 0;
setInterval(() => (rssSampleMax = Math.max(rssSampleMax, process.memoryUsage.rss())), 100).unref();

function stats() {
  const cpu = process.cpuUsage();
  return {
    ...counts,
    rss: process.memoryUsage.rss(),
    heapUsed: process.memoryUsage().heapUsed,
    maxRss: process.resourceUsage().maxRSS * 1024,
    cpuMs: (cpu.user + cpu.system) / 1000,
    captureBytes: capture?.stats().bytesWritten ?? 0,
    captureDropped: capture?.stats().droppedBytes ?? 0,
    tapUs: { p50: tapNs.count ? tapNs.percentile(50) / 1000 : 0, p99: tapNs.count ? tapNs.percentile(99) / 1000 : 0 },
  };
}

process.on('message', async (msg) => {
  if (msg === 'stats') process.send({ stats: stats() });
  if (msg === 'reset-latency') {
    tapNs.reset();
  }
  if (msg === 'stop') {
    await proxy.close();
    pipeline?.end(Date.now());
    await capture?.close();
    process.send({ stats: stats() }, () => process.exit(0));
  }
});
process.send({ ready: true, port: proxy.address().port });
