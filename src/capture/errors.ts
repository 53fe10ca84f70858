// Errors of capture files, with a stable code and the exact place: the file and the byte offset.
export type CaptureErrorCode =
  | 'RSPY_CAPTURE_NOT_A_CAPTURE'
  | 'RSPY_CAPTURE_VERSION'
  | 'RSPY_CAPTURE_FORMAT'
  | 'RSPY_CAPTURE_TRUNCATED'
  | 'RSPY_CAPTURE_WRITE';

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    readonly file: string,
    /** byte offset in the file where the problem starts */
    readonly offset: number,
    problem: string,
    /** complete records read before the problem (events already delivered) */
    readonly recordsRead = 0,
  ) {
    super(`${file}: byte ${offset}: ${problem}`);
    this.name = 'CaptureError';
  }
}
