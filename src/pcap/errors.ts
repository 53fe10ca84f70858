// Errors of packet capture files (pcap, pcapng): a stable code, the byte offset in the input where the problem
// starts, and what to do about it. Pure: the reader throws them, the command names the file.
export type PcapErrorCode = 'RSPY_PCAP_NOT_A_PCAP' | 'RSPY_PCAP_FORMAT' | 'RSPY_PCAP_TRUNCATED' | 'RSPY_PCAP_LINK_TYPE';

export class PcapError extends Error {
  override readonly name = 'PcapError';

  constructor(
    readonly code: PcapErrorCode,
    /** byte offset in the input where the problem starts */
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`byte ${offset}: ${problem}`);
  }
}
