// Every decoder test runs every chunking: whole, byte by byte, split at every position, and random splits.
// A seeded generator keeps the random splits reproducible (the seed is in the chunking's name).
import { seededRandom } from '../../src/core/seeded-random.js';

export interface Chunking {
  name: string;
  chunks: Buffer[];
}

export function* chunkings(input: Buffer, randomRuns = 20, seed = 1): Generator<Chunking> {
  yield { name: 'whole', chunks: [input] };
  yield { name: 'byte by byte', chunks: [...input].map((_, i) => input.subarray(i, i + 1)) };
  for (let i = 1; i < input.length; i++) {
    yield { name: `split at ${i}`, chunks: [input.subarray(0, i), input.subarray(i)] };
  }
  yield* randomSplits(input, randomRuns, seed, 64);
}

/** Fewer chunkings for large inputs: whole, byte by byte, a sample of split points, random splits. */
export function* sampledChunkings(input: Buffer, splits = 200, randomRuns = 20, seed = 1): Generator<Chunking> {
  if (input.length <= splits) {
    yield* chunkings(input, randomRuns, seed);
    return;
  }
  yield { name: 'whole', chunks: [input] };
  yield { name: 'byte by byte', chunks: [...input].map((_, i) => input.subarray(i, i + 1)) };
  const step = input.length / splits;
  for (let k = 1; k < splits; k++) {
    const i = Math.floor(k * step);
    yield { name: `split at ${i}`, chunks: [input.subarray(0, i), input.subarray(i)] };
  }
  yield* randomSplits(input, randomRuns, seed, 4096);
}

/** Random chunk sizes from 1 to maxChunk bytes. */
function* randomSplits(input: Buffer, runs: number, seed: number, maxChunk: number): Generator<Chunking> {
  const rand = mulberry32(seed);
  for (let r = 0; r < runs; r++) {
    const chunks: Buffer[] = [];
    let pos = 0;
    while (pos < input.length) {
      const len = 1 + Math.floor(rand() * Math.min(maxChunk, input.length - pos));
      chunks.push(input.subarray(pos, pos + len));
      pos += len;
    }
    yield { name: `random #${r} (seed ${seed})`, chunks };
  }
}

export const mulberry32 = seededRandom;
