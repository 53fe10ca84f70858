// Write load on a master: redis-benchmark at the master's maximum rate, or a steady rate from Node.
import { spawn } from 'node:child_process';
import { RespClient, encodeCommand, sleep } from './redis.mjs';

/** Runs redis-benchmark with `args`; resolves with what it printed (stdout and stderr). */
export function runRedisBenchmark(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    proc.stdout.on('data', (d) => (text += d));
    proc.stderr.on('data', (d) => (text += d));
    proc.on('error', reject);
    proc.on('exit', (code) => (code !== 0 ? reject(new Error(`redis-benchmark exited ${code}: ${text}`)) : resolve(text)));
  });
}

/** Pipelined SETs at the master's maximum rate. Resolves with the rate redis-benchmark reports (requests/s). */
/** `keyspace`: -r (random keys among that many); null: redis-benchmark's one key. */
export async function redisBenchmarkSets(port, { requests, valueBytes = 16, pipeline = 32, clients = 50, keyspace = 1_000_000 }) {
  const text = await runRedisBenchmark(['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-n', String(requests), '-P', String(pipeline),
    '-c', String(clients), '-d', String(valueBytes), ...(keyspace === null ? [] : ['-r', String(keyspace)]), '-q']);
  // -q prints progress lines separated by \r; the final one is "SET: 123456.78 requests per second..."
  const m = /SET: ([\d.]+) requests per second/.exec(text.split('\r').pop() ?? text);
  return m ? Number(m[1]) : NaN;
}

/** SETs at a fixed rate: every `tickMs`, one pipelined batch (the batch makes up for late timers). Resolves
 *  with the rate achieved (commands acknowledged per second of wall time). */
export async function steadySets(port, { perSecond, durationMs, valueBytes = 16, tickMs = 5 }) {
  const client = await RespClient.connect(port);
  const value = Buffer.alloc(valueBytes, 'v');
  const start = performance.now();
  let sent = 0;
  let replies = 0;
  client.parser.returnReply = () => replies++;
  while (performance.now() - start < durationMs) {
    const due = Math.floor(((performance.now() - start) / 1000) * perSecond);
    const batch = [];
    for (; sent < due; sent++) batch.push(encodeCommand(['SET', `key:${sent % 1_000_000}`, value]));
    if (batch.length) client.socket.write(Buffer.concat(batch));
    await sleep(tickMs);
  }
  while (replies < sent) await sleep(1);
  client.close();
  return sent / ((performance.now() - start) / 1000);
}
