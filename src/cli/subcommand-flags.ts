// A subcommand's flags. The program itself is the proxy command, so it has the same flags with their own
// defaults (--no-tui, --no-rdb-analysis... default to true). commander's optsWithGlobals() lets those program
// values override what the subcommand was given (`repl-spy replay f --no-rdb-analysis` still analysed). Here
// the subcommand's defaults come first, then what the program was given on the command line (`repl-spy
// --debug replay f`), then what the subcommand was given.
import type { Command } from 'commander';

export function subcommandFlags<T>(cmd: Command): T {
  const fromCommandLine = (c: Command): Record<string, unknown> =>
    Object.fromEntries(Object.entries(c.opts()).filter(([key]) => c.getOptionValueSource(key) === 'cli'));
  return { ...cmd.opts(), ...(cmd.parent ? fromCommandLine(cmd.parent) : {}), ...fromCommandLine(cmd) } as T;
}

/** commander's argument parser of a flag that may be given again and again (`--fault a --fault b`). */
export function repeatable(value: string, previous: string[]): string[] {
  return [...previous, value];
}
