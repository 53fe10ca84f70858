// Arguments as text for people and scripts: anything longer than 256 bytes is shortened, its full size noted.

export const SHOWN_ARG_BYTES = 256;

export function argText(arg: Buffer, fullBytes = arg.length): string {
  if (fullBytes <= SHOWN_ARG_BYTES) return arg.toString('utf8');
  return `${arg.subarray(0, SHOWN_ARG_BYTES).toString('utf8')}…(${fullBytes} bytes)`;
}

export function argvText(argv: Buffer[], argBytes?: number[]): string[] {
  return argv.map((a, i) => argText(a, argBytes?.[i]));
}
