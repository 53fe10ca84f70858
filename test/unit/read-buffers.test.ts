import { describe, expect, it } from 'vitest';
import { readReclaimer } from '../../src/proxy/read-buffers.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('read buffers reclaimed by a young-generation collection', () => {
  it('asks once per `everyBytes` read, on the next turn, never inside the read', async () => {
    let calls = 0;
    const noteRead = readReclaimer(() => () => calls++, 100);
    for (let i = 0; i < 9; i++) noteRead(10);
    await nextTurn();
    expect(calls).toBe(0);
    noteRead(10); // 100 bytes
    expect(calls).toBe(0);
    await nextTurn();
    expect(calls).toBe(1);
    noteRead(250); // many reads in one turn: one collection
    noteRead(250);
    await nextTurn();
    expect(calls).toBe(2);
  });

  it('goes on forwarding when the collector cannot be had', async () => {
    let asked = 0;
    const noteRead = readReclaimer(() => (asked++, null), 1);
    noteRead(5);
    await nextTurn();
    noteRead(5);
    await nextTurn();
    expect(asked).toBe(1);
  });

  it('the real collector can be had on this Node', async () => {
    const { noteRead } = await import('../../src/proxy/read-buffers.js');
    expect(() => noteRead(64 * 1024 * 1024)).not.toThrow();
    await nextTurn();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
