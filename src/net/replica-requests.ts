// What a replica sends the master it replicates from, read by repl-spy acting as that master (`replay --to`,
// `tail --to`): PING, AUTH and REPLCONF options are answered here as a master would (+PONG, +OK); PSYNC / SYNC
// and REPLCONF ACK go to the caller. A TLS ClientHello on a plaintext listener, or bytes that are not RESP, end
// the connection with a sentence that says what to do.
import type { Socket } from 'node:net';
import { RespFramer } from '../resp/framer.js';

export interface ReplicaRequests {
  /** PSYNC <replid> <offset>, or SYNC (replid and offset null) */
  sync(replid: string | null, offset: number | null, argv: string[]): void;
  ack(offset: number): void;
  fail(err: Error): void;
}

/** The first byte of a TLS ClientHello (a handshake record); no Redis command starts with it. */
const TLS_HANDSHAKE_RECORD = 0x16;

export function readReplicaRequests(socket: Socket, plaintext: boolean, on: ReplicaRequests): void {
  const onCommand = (argv: string[]): void => {
    if (argv.length === 0) return;
    const name = argv[0].toUpperCase();
    if (name === 'PING') socket.write('+PONG\r\n');
    else if (name === 'AUTH') socket.write('+OK\r\n');
    else if (name === 'REPLCONF' && argv[1]?.toUpperCase() === 'ACK') on.ack(Number(argv[2]));
    else if (name === 'REPLCONF') socket.write('+OK\r\n');
    else if (name === 'PSYNC') on.sync(argv[1] ?? '?', Number(argv[2] ?? -1), argv);
    else if (name === 'SYNC') on.sync(null, null, argv);
    else socket.write(`-ERR repl-spy does not handle ${name}\r\n`);
  };
  // RESP commands, inline SYNC, newline keepalives
  const framer = new RespFramer('requests', {
    command: (argv) => onCommand(argv.map((a) => a.toString('utf8'))),
    inline: (line) => onCommand(line.toString('utf8').split(' ').filter(Boolean)),
    error: (e) => {
      socket.destroy();
      on.fail(new Error(`the target sent bytes that are not RESP at byte ${e.pos} of its link: ${e.message}`));
    },
  });
  socket.on('error', () => undefined);
  let first = true;
  socket.on('data', (chunk: Buffer) => {
    if (first && plaintext && chunk[0] === TLS_HANDSHAKE_RECORD) {
      socket.destroy();
      on.fail(new Error('the target speaks TLS to repl-spy (its tls-replication is yes): give --tls-cert and --tls-key (a certificate its tls-ca-cert-file trusts)'));
      return;
    }
    first = false;
    framer.feed(chunk);
  });
}
