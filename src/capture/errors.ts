// Errors of capture files, with a stable code and the exact place: the file and the byte offset.
import { ReplSpyError, type CaptureErrorCode } from '../core/errors.js';

export type { CaptureErrorCode };

export class CaptureError extends ReplSpyError {
  override readonly name = 'CaptureError';

  constructor(
    override readonly code: CaptureErrorCode,
    readonly file: string,
    /** byte offset in the file where the problem starts */
    readonly offset: number,
    problem: string,
    /** complete records read before the problem (events already delivered) */
    readonly recordsRead = 0,
  ) {
    super(code, `${file}: byte ${offset}: ${problem}`);
  }
}
