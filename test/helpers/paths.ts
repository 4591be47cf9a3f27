// Where things are, for tests in any folder: the repository root (with a trailing slash)
// and the built CLI.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.mjs');
