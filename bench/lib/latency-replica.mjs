// The fake replica of the forward-latency scenario, in its own process as a real replica is (in the master's
// process, a read right after the write skips the wake-up of another process that every real link pays).
// Connects to argv[2], sends PSYNC, and records for every read the bytes received so far and the time on the
// monotonic clock (process.hrtime: CLOCK_MONOTONIC, the same clock in every process of the machine). At the
// end of the stream it sends the marks to its parent and exits.
import net from 'node:net';

const marks = [];
let received = 0;
const socket = net.connect({ host: '127.0.0.1', port: Number(process.argv[2]) });
socket.setNoDelay(true);
socket.on('data', (chunk) => {
  const now = process.hrtime.bigint();
  received += chunk.length;
  marks.push([received, Number(now)]);
});
socket.on('end', () => {
  socket.end();
  process.send({ marks }, () => process.exit(0));
});
socket.on('error', (err) => {
  console.error(`latency replica: ${err.message}`);
  process.exit(1);
});
socket.write('PSYNC ? -1\r\n');
