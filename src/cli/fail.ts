// One clear line and an exit code per failure a user can act on; stacks only with --debug.
import { isReplSpyError } from '../core/errors.js';

const EXIT_CODES: Record<string, number> = { RSPY_BAD_ARGS: 2, RSPY_REPLAY_REFUSED: 2, RSPY_LISTEN: 3, RSPY_MASTER_CONNECT: 4 };

export function failAndExit(err: unknown, debug = false): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`repl-spy: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  const code = isReplSpyError(err) ? (EXIT_CODES[err.code] ?? 1) : (err as { code?: string })?.code === 'RSPY_CAPTURE_WRITE' ? 5 : 1;
  process.exit(code);
}
