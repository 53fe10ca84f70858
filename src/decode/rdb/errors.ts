// Errors of the RDB decoder. Bad input never escapes the decoder as an exception: RdbFormatError is thrown
// internally and turned into an 'error' report with the byte offset, what was expected, and a message.

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

export interface RdbErrorInfo {
  code: RdbErrorCode;
  /** byte offset in the RDB file (0 = first magic byte) */
  pos: number;
  expected: string;
  message: string;
}

export class RdbFormatError extends Error {
  constructor(
    readonly code: RdbErrorCode,
    readonly pos: number,
    readonly expected: string,
    message: string,
  ) {
    super(message);
  }

  info(): RdbErrorInfo {
    return { code: this.code, pos: this.pos, expected: this.expected, message: this.message };
  }
}

/** Thrown (one shared instance, no stack) when a read runs past the bytes fed so far; the caller retries later. */
export const NEED_MORE: { readonly needMore: true } = Object.freeze({ needMore: true as const });
