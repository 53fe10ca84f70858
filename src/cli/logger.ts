// pino to stderr, or to a file (always when the TUI owns the terminal).
import pino, { type Logger } from 'pino';

export function createLogger(opts: { file?: string; debug?: boolean }): Logger {
  const dest = opts.file ? pino.destination({ dest: opts.file, sync: false, mkdir: true }) : pino.destination({ fd: 2, sync: false });
  return pino({ name: 'repl-spy', level: opts.debug ? 'debug' : 'info' }, dest);
}
