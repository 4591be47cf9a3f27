// The npm CLI's entry (dist/cli.mjs, build/bundle.mjs): Node's compile cache is turned on
// first (./compile-cache.ts), then the CLI is imported, so that all of its modules are compiled
// with the cache. `join` and `credential` load a build of the CLI with only that command
// (`dist/chunks/<command>/cli.mjs`, build/hot-commands.mjs): a few files instead of ~30 chunks
// (docs/performance.md, "Profile of a cold join"). main.ts starts the command it is given.
import { enableCompileCache } from './compile-cache.js';
import { OWN_BUILD_COMMANDS, stripLauncher } from './launcher.js';

enableCompileCache();
const name = stripLauncher(process.argv.slice(2))[0];
if (name !== undefined && OWN_BUILD_COMMANDS.includes(name)) await import(new URL(`./chunks/${name}/cli.mjs`, import.meta.url).href);
else await import('./main.js');
