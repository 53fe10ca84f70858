// AUTH passwords never leave the decoder unless the user asks: `AUTH <password>` and `AUTH <user> <password>`.

export const MASK = '***';

export function maskSecrets(argv: string[]): string[] {
  if (argv.length >= 2 && argv[0].toUpperCase() === 'AUTH') {
    return argv.length === 2 ? [argv[0], MASK] : [argv[0], argv[1], ...argv.slice(2).map(() => MASK)];
  }
  return argv;
}
