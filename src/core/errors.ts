// One error family for every failure a user can act on: ReplSpyError and its kinds (CaptureError, PcapError,
// RdbFormatError, RespError). `code` is stable (scripts and the CLI map it to exit codes), `message` is one line
// naming what failed, `hint` says what to do about it.

// The lists are closed on purpose: a new code is a change of that contract, made here. Every code is thrown.

/** A capture file that cannot be read (CaptureError: with the file and the byte offset). */
export type CaptureErrorCode = 'RSPY_CAPTURE_NOT_A_CAPTURE' | 'RSPY_CAPTURE_VERSION' | 'RSPY_CAPTURE_FORMAT' | 'RSPY_CAPTURE_TRUNCATED';

/** A pcap / pcapng input that cannot be read (PcapError: with the byte offset). */
export type PcapErrorCode = 'RSPY_PCAP_NOT_A_PCAP' | 'RSPY_PCAP_FORMAT' | 'RSPY_PCAP_TRUNCATED' | 'RSPY_PCAP_LINK_TYPE';

/** Bad RDB bytes (RdbFormatError: caught inside the RDB decoder and reported with the byte offset, never thrown
 *  out of it): the `code` of the RDB summary's `error`, in `rdb-info` events and in `inspect`. */
export type RdbErrorCode =
  | 'RDB_BAD_MAGIC'
  | 'RDB_BAD_VERSION'
  | 'RDB_COMPRESSED_ENVELOPE'
  | 'RDB_BAD_LENGTH'
  | 'RDB_BAD_STRING'
  | 'RDB_BAD_LZF'
  | 'RDB_UNKNOWN_TYPE'
  | 'RDB_UNSUPPORTED'
  | 'RDB_CORRUPT_CONTAINER'
  | 'RDB_CORRUPT_VALUE'
  | 'RDB_CRC_MISMATCH'
  | 'RDB_TRUNCATED'
  | 'RDB_INTERNAL_ERROR';

export type ReplSpyErrorCode =
  | 'RSPY_LISTEN'
  | 'RSPY_BAD_ARGS'
  | 'RSPY_REPLAY'
  /** replay --to would replace data that is there (keys, a replication link, replicas) */
  | 'RSPY_REPLAY_REFUSED'
  | 'RSPY_EXPORT'
  | 'RSPY_NO_REDIS'
  | 'RSPY_LAB_START'
  /** a server answered a command of repl-spy's own connection with an error (RespError) */
  | 'RSPY_SERVER_REPLY'
  /** `repl-spy tail`: the master's stream cannot be followed on (refused, undecodable) */
  | 'RSPY_TAIL'
  /** `repl-spy tail`: the master cannot continue this history without a full sync (and none was allowed) */
  | 'RSPY_TAIL_NO_PSYNC'
  /** a CLUSTER SHARDS / CLUSTER NODES reply that is not one (cut, foreign): TopologyError */
  | 'RSPY_CLUSTER_TOPOLOGY'
  | CaptureErrorCode
  | PcapErrorCode
  | RdbErrorCode;

export class ReplSpyError extends Error {
  override readonly name: string = 'ReplSpyError';
  readonly code: ReplSpyErrorCode;
  readonly hint: string | undefined;

  constructor(code: ReplSpyErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(opts.hint ? `${message}: ${opts.hint}` : message, { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint;
  }
}

export function isReplSpyError(err: unknown): err is ReplSpyError {
  return err instanceof ReplSpyError;
}
