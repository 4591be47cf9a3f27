// Where things are, for tests in any folder: the repository root (with a trailing slash),
// the built CLI (the product build, dist/) and the test build's CLI (with the test hooks,
// test/out/dist-test/: build/test-hooks.mjs).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.mjs');
export const TEST_BUILD = join(ROOT, 'test', 'out', 'dist-test');
export const TEST_CLI = join(TEST_BUILD, 'cli.mjs');
