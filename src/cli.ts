#!/usr/bin/env node
// Entry point: each subcommand lives in its own module under src/cli/ and registers itself here.
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerProxyCommand } from './cli/proxy-command.js';
import { registerReplayCommand } from './cli/replay-command.js';
import { registerExportCommand } from './cli/export-command.js';
import { registerInspectCommand } from './cli/inspect-command.js';
import { registerLabCommand } from './cli/lab-command.js';
import { registerPcapCommand } from './cli/pcap-command.js';
import { registerReportCommand } from './cli/report-command.js';
import { registerTailCommand } from './cli/tail-command.js';

// A stderr whose reader went away must not end the process (the proxy's replicas would go with it).
process.stderr.on('error', () => {});

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const program = new Command();
program.enablePositionalOptions();
program.name('repl-spy').description('See, byte for byte and live, what Redis/Valkey replication does').version(version);
// Usage errors (unknown option, missing argument) exit 2 as documented; help and --version exit 0. Subcommands
// registered below inherit this.
program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
program.helpCommand('help [command]', 'show the help of a command');
registerProxyCommand(program);
registerReplayCommand(program);
registerExportCommand(program);
registerInspectCommand(program);
registerLabCommand(program);
registerPcapCommand(program);
registerReportCommand(program);
registerTailCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`repl-spy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
