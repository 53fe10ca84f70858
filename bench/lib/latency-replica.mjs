// The fake replicas of the forward-latency scenario, in one process of their own (a real replica is another
// process than its master): one connection per port in argv, each sends PSYNC and records for every read the
// bytes received so far and the time on the monotonic clock (process.hrtime: CLOCK_MONOTONIC, the same clock
// in every process of the machine). Both links of a run live in this one process, so a stall of this process
// delays both alike. Links connect one after the other, each once the previous one got its first bytes, so
// the master sees them in argv order. When every link has ended it sends the marks (one list per port) to
// its parent and exits.
import net from 'node:net';

const ports = process.argv.slice(2).map(Number);
const marks = ports.map(() => []);
let open = ports.length;

function connect(i) {
  let received = 0;
  const socket = net.connect({ host: '127.0.0.1', port: ports[i] });
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    const now = process.hrtime.bigint();
    if (received === 0 && i + 1 < ports.length) connect(i + 1);
    received += chunk.length;
    marks[i].push([received, Number(now)]);
  });
  socket.on('end', () => {
    socket.end();
    if (--open === 0) process.send({ marks }, () => process.exit(0));
  });
  socket.on('error', (err) => {
    console.error(`latency replica (port ${ports[i]}): ${err.message}`);
    process.exit(1);
  });
  socket.write('PSYNC ? -1\r\n');
}
connect(0);
