// Reads the command part of an append-only file (after an RDB preamble, or an incremental AOF file):
// RESP arrays of bulk strings, and `#...` annotation lines (timestamps), framed chunk by chunk by the framer's
// `aof` grammar. An argument larger than 1 MiB keeps its first bytes only (its size is in argBytes).
import { RespFramer } from '../../resp/framer.js';

export interface AofCommand {
  /** the arguments (views valid during the callback only) */
  argv: Buffer[];
  /** each argument's size, when one was cut to its first bytes */
  argBytes?: number[];
  /** offset of the command in the input fed (from 0) */
  pos: number;
  bytes: number;
}

export interface AofProblem {
  pos: number;
  expected: string;
  message: string;
}

export class AofCommandReader {
  problem: AofProblem | null = null;
  annotations = 0;
  private onCommand: (c: AofCommand) => void = () => undefined;
  private readonly framer = new RespFramer('aof', {
    command: (argv, pos, end, argBytes) => this.onCommand(argBytes ? { argv, argBytes, pos, bytes: end - pos } : { argv, pos, bytes: end - pos }),
    inline: () => this.annotations++,
    error: ({ pos, expected, message }) => (this.problem = { pos, expected, message }),
  });

  feed(chunk: Buffer, onCommand: (c: AofCommand) => void): void {
    this.onCommand = onCommand;
    this.framer.feed(chunk);
  }

  /** The input is over: an incomplete last command is a problem (a truncated AOF). */
  end(): void {
    const cut = this.framer.end();
    if (cut !== null) {
      this.problem = { pos: cut, expected: 'a complete command', message: `the file ends inside a command (${this.framer.pos - cut} bytes left over)` };
    }
  }
}
