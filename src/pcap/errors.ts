// Errors of packet capture files (pcap, pcapng): a stable code, the byte offset in the input where the problem
// starts, and what to do about it. Pure: the reader throws them, the command names the file.
import { ReplSpyError, type PcapErrorCode } from '../core/errors.js';

export type { PcapErrorCode };

export class PcapError extends ReplSpyError {
  override readonly name = 'PcapError';

  constructor(
    override readonly code: PcapErrorCode,
    /** byte offset in the input where the problem starts */
    readonly offset: number,
    readonly problem: string,
  ) {
    super(code, `byte ${offset}: ${problem}`);
  }
}
