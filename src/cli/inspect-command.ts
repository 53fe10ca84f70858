// `repl-spy inspect FILE`: the flags and the output of src/inspect. Human summary by default, `--json` for the
// summary as one JSON object, `--keys` for one JSON line per key.
import { once } from 'node:events';
import type { Command } from 'commander';
import type { KeyInfo } from '../decode/rdb/rdb-observer.js';
import { inspect } from '../inspect/inspect.js';
import { humanReport, problemLines } from '../inspect/report.js';
import { failAndExit } from './fail.js';
import { subcommandFlags } from './subcommand-flags.js';

interface InspectFlags {
  json?: boolean;
  keys?: boolean;
  top: string;
  commands: string;
  link?: string;
  debug?: boolean;
}

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect <file>')
    .description('summarise an RDB file, an AOF file or append-only directory, or the snapshot in a capture')
    .option('--json', 'print the summary as one JSON object')
    .option('--keys', 'print one JSON line per key (db, key, type, encoding, size, expiry) instead of the summary')
    .option('--top <n>', 'how many of the largest keys to list', '10')
    .option('--commands <n>', 'how many of the last AOF commands to show', '10')
    .option('--link <n>', 'for a capture: the link whose snapshot to inspect (default: the furthest full sync)')
    .option('--debug', 'stack traces')
    .action(async (file: string, _flags: InspectFlags, cmd: Command) => {
      // --json and --debug are also options of the root (proxy) command: read them wherever they were given
      const flags = subcommandFlags<InspectFlags>(cmd);
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0); // the reader (head, jq) is gone
        failAndExit(err, flags.debug);
      });
      try {
        const keyLines: string[] = [];
        const onKey = flags.keys ? (k: KeyInfo) => keyLines.push(JSON.stringify(k)) : undefined;
        // key lines are written after each chunk read, waiting for stdout when it is slow (a pipe into jq)
        const afterChunk = async (): Promise<void> => {
          if (keyLines.length === 0) return;
          const ok = process.stdout.write(`${keyLines.join('\n')}\n`);
          keyLines.length = 0;
          if (!ok) await once(process.stdout, 'drain');
        };
        const opts = { topN: Number(flags.top), tailLines: Number(flags.commands), link: flags.link, onKey, afterChunk };
        const result = await inspect(file, opts);
        await afterChunk();
        if (!flags.keys) process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : humanReport(result));
        // whatever went to stdout (or not, with --keys), every problem reaches stderr, with its byte offset
        const problems = problemLines(result);
        for (const p of problems) process.stderr.write(`repl-spy: ${result.file}: ${p}\n`);
        if (problems.length > 0) process.exitCode = 1;
      } catch (err) {
        failAndExit(err, flags.debug);
      }
    });
}
