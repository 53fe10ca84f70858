// Is this argument this (upper-case ASCII) word, in any case? Per command on the stream, so without making a
// string of the argument.
import type { Buffer } from 'node:buffer';

export function argIs(arg: Buffer | undefined, upper: string): boolean {
  if (arg === undefined || arg.length !== upper.length) return false;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i]!;
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== upper.charCodeAt(i)) return false;
  }
  return true;
}
