// Errors of the RDB decoder. Bad input never escapes the decoder as an exception: RdbFormatError is thrown
// internally and turned into an 'error' report with the byte offset, what was expected, and a message.
import { ReplSpyError, type RdbErrorCode } from '../../core/errors.js';
import type { RdbFileError } from '../../core/rdb-info.js';

export type { RdbErrorCode };

export class RdbFormatError extends ReplSpyError {
  override readonly name = 'RdbFormatError';

  constructor(
    override readonly code: RdbErrorCode,
    readonly pos: number,
    readonly expected: string,
    message: string,
  ) {
    super(code, message);
  }

  info(): RdbFileError {
    return { code: this.code, pos: this.pos, expected: this.expected, message: this.message };
  }
}

/** Thrown (one shared instance, no stack) when a read runs past the bytes fed so far; the caller retries later. */
export const NEED_MORE: { readonly needMore: true } = Object.freeze({ needMore: true as const });
