import { describe, expect, it } from 'vitest';
import { argIs } from '../../../src/core/arg-is.js';

describe('argIs', () => {
  it('matches the word in any case, and nothing else', () => {
    for (const arg of ['GETACK', 'getack', 'GetAck']) expect(argIs(Buffer.from(arg), 'GETACK')).toBe(true);
    for (const arg of ['GETAC', 'GETACKS', 'GETACJ', 'GET@CK', '', 'gEtAcK\0']) expect(argIs(Buffer.from(arg), 'GETACK')).toBe(false);
    expect(argIs(undefined, 'PING')).toBe(false);
    // the neighbours of a-z are not letters: not folded
    expect(argIs(Buffer.from('{'), '[')).toBe(false);
    expect(argIs(Buffer.from('`'), '@')).toBe(false);
  });
});
