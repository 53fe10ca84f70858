// Subcommands share flag names with the program (the program is the proxy command): what the subcommand is
// given must win over the program's defaults, and flags given to the program before the subcommand count.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { subcommandFlags } from '../../../src/cli/subcommand-flags.js';

function parse(argv: string[]): Record<string, unknown> {
  let flags: Record<string, unknown> = {};
  const program = new Command().enablePositionalOptions().exitOverride();
  program.option('--no-tui', 'program: line output').option('--no-rdb-analysis', 'program').option('--debug', 'program');
  program
    .command('replay')
    .argument('<file>')
    .option('--no-tui', 'replay: line output')
    .option('--no-rdb-analysis', 'replay')
    .option('--debug', 'replay')
    .action((_file: string, _opts: unknown, cmd: Command) => {
      flags = subcommandFlags(cmd);
    });
  program.parse(['node', 'repl-spy', ...argv]);
  return flags;
}

describe('subcommand flags', () => {
  it("the subcommand's negated flags win over the program's defaults", () => {
    expect(parse(['replay', 'f', '--no-tui', '--no-rdb-analysis'])).toMatchObject({ tui: false, rdbAnalysis: false });
  });
  it('defaults when nothing is given', () => {
    expect(parse(['replay', 'f'])).toEqual({ tui: true, rdbAnalysis: true });
  });
  it('flags given to the program before the subcommand count, over the subcommand defaults', () => {
    expect(parse(['--debug', '--no-tui', 'replay', 'f'])).toEqual({ tui: false, rdbAnalysis: true, debug: true });
  });
});
