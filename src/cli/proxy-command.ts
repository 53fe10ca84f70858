import type { Command } from 'commander';

// Placeholder until the proxy lands: the root command is the proxy.
export function registerProxyCommand(program: Command): void {
  program
    .option('--listen <[host:]port>', 'where replicas connect')
    .option('--upstream <host:port>', 'the master')
    .action(() => {
      process.stderr.write('repl-spy: proxy not implemented yet\n');
      process.exit(2);
    });
}
