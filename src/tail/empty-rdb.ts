// The snapshot `tail --to` gives a new target: an RDB with no keys, whose `repl-stream-db` says which db the
// stream it then gets is in (a replica starts its master's commands in that db until a SELECT). Version 9 is read
// by Redis 5 and later and by every Valkey.
import { RDB_OPCODE_AUX, RDB_OPCODE_EOF } from '../decode/rdb/constants.js';
import { Crc64 } from '../decode/rdb/crc64.js';

export function emptyRdb(streamDb: number): Buffer {
  const string = (text: string): Buffer => Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'latin1')]); // 6-bit length: < 64 bytes
  const body = Buffer.concat([
    Buffer.from('REDIS0009', 'latin1'),
    Buffer.from([RDB_OPCODE_AUX]), string('repl-stream-db'), string(String(streamDb)),
    Buffer.from([RDB_OPCODE_EOF]),
  ]);
  const crc = new Crc64();
  crc.update(body);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc.lo, 0);
  trailer.writeUInt32LE(crc.hi, 4);
  return Buffer.concat([body, trailer]);
}
