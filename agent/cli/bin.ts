// The npm CLI's entry (dist/cli.mjs, build/bundle.mjs): Node's compile cache is turned on
// first (./compile-cache.ts), then the CLI is imported, so that all of its modules, the entry's
// own imports included, are compiled with the cache. main.ts starts the command it is given.
import { enableCompileCache } from './compile-cache.js';

enableCompileCache();
await import('./main.js');
