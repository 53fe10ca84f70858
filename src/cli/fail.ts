// One clear line and an exit code per failure a user can act on; stacks only with --debug.
import { isReplSpyError } from '../core/errors.js';

const EXIT_CODES: Record<string, number> = { RSPY_BAD_ARGS: 2, RSPY_REPLAY_REFUSED: 2, RSPY_LISTEN: 3, RSPY_MASTER_CONNECT: 4 };

/** A file named on the command line that cannot be read: a sentence with the path, and the exit code. */
const FILE_ERRORS: Record<string, [string, number]> = {
  ENOENT: ['no such file or directory', 2],
  ENOTDIR: ['a part of the path is not a directory', 2],
  EISDIR: ['is a directory, not a file', 2],
  EACCES: ['permission denied', 1],
};

export function failAndExit(err: unknown, debug = false): never {
  const fsError = err as NodeJS.ErrnoException;
  const file = fsError?.path !== undefined ? FILE_ERRORS[fsError.code ?? ''] : undefined;
  const message = file ? `${fsError.path}: ${file[0]}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`repl-spy: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  const code = file ? file[1] : isReplSpyError(err) ? (EXIT_CODES[err.code] ?? 1) : fsError?.code === 'RSPY_CAPTURE_WRITE' ? 5 : 1;
  process.exit(code);
}
