// The proxy's layers, each in its own process so its CPU and peak RSS are its own. Wired like the CLI's proxy
// command (src/cli/run-live.ts: the proxy appends to the tap, the observers drain it) but with a counting
// subscriber instead of an output: the real command with its outputs is cli-proxy.mjs. Modes add one layer each:
// pump (forward only), decode (+ link decoding), capture (+ capture file), full (+ RDB analysis); nocrc is full
// with `--no-rdb-checksum`.
// Talks to its parent over IPC: {ready, port}; on 'stats' -> {stats}; on 'reset-latency' forgets the tap-time
// histogram (end of a warm-up); on 'stop' -> closes and exits. An optional fourth argument, JSON {ca, cert, key},
// makes both legs TLS with those files (as --tls-cert/--tls-key/--tls-ca and --upstream-tls/-ca/-cert/-key).
import { createPipeline } from '../../dist/decode/pipeline.js';
import { startProxy } from '../../dist/proxy/index.js';
import { createWireTap } from '../../dist/proxy/tap.js';
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

// The observers' work per wire event, as they drain the tap after the chunk was forwarded.
const tapNs = createHistogram();
const observers = [
  ...(capture ? [{ name: 'capture', wire: capture.wire }] : []),
  ...(pipeline ? [{ name: 'decoders', wire: pipeline.wire }] : []),
].map(({ name, wire }) => ({
  name,
  wire: (e) => {
    const t0 = process.hrtime.bigint();
    wire(e);
    tapNs.record(Number(process.hrtime.bigint() - t0) || 1);
  },
}));
const tap = observers.length ? createWireTap({ observers }) : null;
const onWire = (e) => {
  counts.wireChunks++;
  if (e.kind === 'bytes') counts.wireBytes += e.chunk.length;
  tap?.append(e);
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

// Sampled memory (the OS's maxRSS is the true peak; the samples say where it went: V8's heap, or buffers outside it).
const peaks = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
setInterval(() => {
  const m = process.memoryUsage();
  for (const key of Object.keys(peaks)) peaks[key] = Math.max(peaks[key], m[key]);
}, 100).unref();

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
    tapLost: tap?.stats().reduce((n, o) => n + o.lostBytes, 0) ?? 0,
    peaks: { ...peaks },
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
    tap?.flush();
    pipeline?.end(Date.now());
    await capture?.close();
    process.send({ stats: stats() }, () => process.exit(0));
  }
});
process.send({ ready: true, port: proxy.address().port });
