// Arguments as text for people and scripts: anything longer than 256 bytes is shortened, its full size noted.
// The outputs format hundreds of thousands of commands a second: an argument of plain ASCII (the usual key or
// value) is read in one latin1 pass, which is the same text as UTF-8 for those bytes.

export const SHOWN_ARG_BYTES = 256;

export function argText(arg: Buffer, fullBytes = arg.length): string {
  if (fullBytes <= SHOWN_ARG_BYTES) return isAscii(arg) ? arg.toString('latin1') : arg.toString('utf8');
  return `${arg.subarray(0, SHOWN_ARG_BYTES).toString('utf8')}…(${fullBytes} bytes)`;
}

/** An argument as a JSON string: plain printable ASCII needs no escaping, the rest goes through JSON.stringify. */
export function argJson(arg: Buffer, fullBytes = arg.length): string {
  if (fullBytes <= SHOWN_ARG_BYTES && isJsonPlain(arg)) return `"${arg.toString('latin1')}"`;
  return JSON.stringify(argText(arg, fullBytes));
}

export function isAscii(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i]! >= 0x80) return false;
  return true;
}

/** Printable ASCII without `"` and `\`: what JSON writes as is. */
export function isJsonPlain(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) return false;
  }
  return true;
}
