// The contract between bench/run.mjs and a scenario script:
//   node bench/scenarios/<name>.mjs [--smoke] --out <file.json>
// The script does its work and writes one JSON object to --out:
//   { scenario, title, params, notes: [string], tables: [{ title, columns: [string], rows: [[string|number]] }],
//     goals: [{ goal, value, met: true|false|null }] }
// --smoke: tiny data, a few seconds, still real numbers (nothing is asserted about speed).
import { writeFileSync } from 'node:fs';

export function scenarioArgs() {
  const argv = process.argv.slice(2);
  const outAt = argv.indexOf('--out');
  return { smoke: argv.includes('--smoke'), out: outAt >= 0 ? argv[outAt + 1] : null };
}

export function writeResult(out, result) {
  const json = JSON.stringify(result, null, 2);
  if (out) writeFileSync(out, json);
  else process.stdout.write(json + '\n');
}

/** Progress on stderr so the runner can show it without mixing it with results. */
export const log = (...parts) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${parts.join(' ')}\n`);
