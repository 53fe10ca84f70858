// The one rule that says which command arguments are secrets, used by the decoder (events, output, TUI) and by the
// capture writer alike: the password of `AUTH [user] <password>`, of `HELLO <ver> AUTH <user> <password>`, of
// `MIGRATE ... AUTH <password>` / `AUTH2 <user> <password>`, the values of `CONFIG SET masterauth|requirepass|
// tls-key-file-pass|tls-client-key-file-pass`, and the `>password`, `<password`, `#hash`, `!hash` rules of
// `ACL SETUSER`. Names compare case-insensitively. Secrets never leave the decoder unless the user asks.

export const MASK = '***';

/** Options after a command's fixed arguments: how many arguments each takes and which of them is secret
 *  (1-based from the option; none when absent); `rest`: every argument after it is a key, none a secret. */
type Options = Record<string, { args: number; secret?: number; rest?: true }>;

const HELLO_OPTIONS: Options = { AUTH: { args: 2, secret: 2 }, SETNAME: { args: 1 } };
/** MIGRATE host port key db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key ...] */
const MIGRATE_OPTIONS: Options = { COPY: { args: 0 }, REPLACE: { args: 0 }, AUTH: { args: 1, secret: 1 }, AUTH2: { args: 2, secret: 2 }, KEYS: { args: 0, rest: true } };
const SECRET_CONFIGS = new Set(['masterauth', 'requirepass', 'tls-key-file-pass', 'tls-client-key-file-pass']);
/** ACL SETUSER rules that carry a password or its hash */
const SECRET_ACL_RULE = /^[<>#!]/;
const SECRET_COMMANDS = new Set(['AUTH', 'HELLO', 'MIGRATE', 'CONFIG', 'ACL']);

/** True when the command named `name` can have a secret argument at all. */
export function mayHaveSecrets(name: string): boolean {
  return SECRET_COMMANDS.has(name.toUpperCase());
}

/** Whether the argument at index `before.length` is a secret, from the arguments before it, the command's
 *  argument count and the argument's own first character (ACL rules say what they are by it). A streaming
 *  caller knows all three before the argument's body has passed. */
export function isSecretArg(before: readonly string[], argc: number, first: string): boolean {
  const i = before.length;
  if (i === 0) return false;
  switch (before[0]!.toUpperCase()) {
    case 'AUTH':
      return argc === 2 ? i === 1 : i >= 2;
    case 'HELLO':
      return optionSecret(before, 2, HELLO_OPTIONS);
    case 'MIGRATE':
      return optionSecret(before, 6, MIGRATE_OPTIONS);
    case 'CONFIG':
      return i >= 3 && i % 2 === 1 && before[1]!.toUpperCase() === 'SET' && SECRET_CONFIGS.has(before[i - 1]!.toLowerCase());
    case 'ACL':
      return i >= 3 && before[1]!.toUpperCase() === 'SETUSER' && SECRET_ACL_RULE.test(first);
    default:
      return false;
  }
}

/** Walks the options from index `start` as the server parses them; true when the next argument is a secret one. */
function optionSecret(before: readonly string[], start: number, options: Options): boolean {
  const i = before.length;
  for (let j = start; j < i; ) {
    const option = options[before[j]!.toUpperCase()];
    if (!option) {
      j++;
      continue;
    }
    if (option.rest) return false;
    if (i <= j + option.args) return option.secret !== undefined && i === j + option.secret;
    j += option.args + 1;
  }
  return false;
}

/** argv with every secret argument replaced by MASK. */
export function maskSecrets(argv: string[]): string[] {
  if (argv.length < 2 || !mayHaveSecrets(argv[0]!)) return argv;
  return argv.map((a, i) => (isSecretArg(argv.slice(0, i), argv.length, a.charAt(0)) ? MASK : a));
}
