// Records a real replication stream: connects to a master as a replica (PSYNC ? -1), keeps every byte the master
// sends while `load` runs, and splits it into the handshake answer, the RDB payload and the command stream.
import net from 'node:net';
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
  const lineEnd = bytes.indexOf('\r\n');
  if (lineEnd < 0) return null;
  let p = lineEnd + 2;
  while (bytes[p] === 0x0a) p++; // newline keepalives while the master saves
  if (bytes[p] !== 0x24 /* $ */) return null;
  const lenEnd = bytes.indexOf('\r\n', p);
  if (lenEnd < 0) return null;
  const size = Number(bytes.subarray(p + 1, lenEnd).toString());
  const rdbStart = lenEnd + 2;
  const rdbEnd = rdbStart + size;
  if (bytes.length < rdbEnd) return null;
  return { answer: bytes.subarray(0, lineEnd).toString(), rdbStart, rdbEnd, commandsStart: rdbEnd };
}
