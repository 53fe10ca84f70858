// Records a real replication stream: connects to a master as a replica (PSYNC ? -1), keeps every byte the master
// sends while `load` runs, and splits it into the handshake answer, the RDB payload and the command stream.
import net from 'node:net';
import { RespFramer } from '../../dist/resp/framer.js';
import { sleep } from './redis.mjs';

export async function recordStream(master, load) {
  const socket = net.connect({ host: '127.0.0.1', port: master.port });
  const chunks = [];
  let total = 0;
  let lastDataAt = performance.now();
  socket.on('data', (d) => {
    chunks.push(d);
    total += d.length;
    lastDataAt = performance.now();
  });
  await new Promise((r) => socket.once('connect', r));
  socket.write('PSYNC ? -1\r\n');
  // Wait for the whole RDB before the load starts, so the stream is: answer, payload, commands.
  while (splitStream(Buffer.concat(chunks)) === null) await sleep(20);
  await load();
  while (performance.now() - lastDataAt < 300) await sleep(50);
  socket.destroy();
  const bytes = Buffer.concat(chunks, total);
  return { bytes, ...splitStream(bytes) };
}

/** { answer: '+FULLRESYNC ...', rdbStart, rdbEnd, commandsStart } or null while the payload is incomplete. */
function splitStream(bytes) {
  let answer = null;
  let rdbStart = 0;
  let split = null;
  const framer = new RespFramer('replication', {
    reply: (head) => (answer ??= head.toString()),
    rdbStart: (_size, _mark, _start, bodyStart) => (rdbStart = bodyStart),
    rdbEnd: (rdbEnd, end) => {
      split = { answer, rdbStart, rdbEnd, commandsStart: end };
      framer.stop();
    },
    error: (e) => {
      throw new Error(`the recorded stream is not what a master sends: ${e.message} at byte ${e.pos}`);
    },
  });
  framer.feed(bytes);
  return split;
}
