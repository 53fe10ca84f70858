// pino to stderr, or to a file (always when the TUI owns the terminal), created owner-only like the capture: logs
// name hosts and replicas. A log that cannot be written (stderr's reader exited, the disk is full) is silenced:
// logging must never take the proxy down, and there is nowhere left to say it.
import pino, { type Logger } from 'pino';

export function createLogger(opts: { file?: string; debug?: boolean }): Logger {
  const dest = opts.file ? pino.destination({ dest: opts.file, sync: false, mkdir: true, mode: 0o600 }) : pino.destination({ fd: 2, sync: false });
  const logger = pino({ name: 'repl-spy', level: opts.debug ? 'debug' : 'info' }, dest);
  dest.on('error', () => {
    logger.level = 'silent';
  });
  return logger;
}

