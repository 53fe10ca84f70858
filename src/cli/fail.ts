// One clear line and an exit code per failure a user can act on; stacks only with --debug.
import { isReplSpyError, type ReplSpyErrorCode } from '../core/errors.js';

const EXIT_CODES: Partial<Record<ReplSpyErrorCode, number>> = { RSPY_BAD_ARGS: 2, RSPY_REPLAY_REFUSED: 2, RSPY_LISTEN: 3, RSPY_TAIL_NO_PSYNC: 6 };

/** A file named on the command line that cannot be read: a sentence with the path, and the exit code. */
const FILE_ERRORS: Record<string, [string, number]> = {
  ENOENT: ['no such file or directory', 2],
  ENOTDIR: ['a part of the path is not a directory', 2],
  EISDIR: ['is a directory, not a file', 2],
  EACCES: ['permission denied', 1],
};

/** The line a failure is told in, and the exit code it ends with. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  const fsError = err as NodeJS.ErrnoException;
  const file = fsError?.path !== undefined ? FILE_ERRORS[fsError.code ?? ''] : undefined;
  if (file) return { message: `${fsError.path}: ${file[0]}`, exitCode: file[1] };
  const message = err instanceof Error ? err.message : String(err);
  return { message, exitCode: isReplSpyError(err) ? (EXIT_CODES[err.code] ?? 1) : 1 };
}

export function failAndExit(err: unknown, debug = false): never {
  const { message, exitCode } = describeFailure(err);
  process.stderr.write(`repl-spy: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(exitCode);
}
