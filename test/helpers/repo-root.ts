import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this test runs in. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
