// One error type for every failure a user can act on. `code` is stable (scripts and the CLI map it to exit
// codes), `message` is one line naming what failed, `hint` says what to do about it.

// The list is closed on purpose: a new code is a change of that contract, made here.
export type ReplSpyErrorCode =
  | 'RSPY_LISTEN'
  | 'RSPY_MASTER_CONNECT'
  | 'RSPY_BAD_ARGS'
  | 'RSPY_CAPTURE_WRITE'
  | 'RSPY_CAPTURE_FORMAT'
  | 'RSPY_CAPTURE_VERSION'
  | 'RSPY_REPLAY'
  /** replay --to would replace data that is there (keys, a replication link, replicas) */
  | 'RSPY_REPLAY_REFUSED'
  | 'RSPY_EXPORT'
  | 'RSPY_NO_REDIS'
  | 'RSPY_LAB_START';

export class ReplSpyError extends Error {
  override readonly name = 'ReplSpyError';
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
