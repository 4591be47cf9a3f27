// The entry of the packaged executable's script (build/packages/package.mjs): run once at build
// time by `node --build-snapshot` (SEA's useSnapshot), it evaluates the CLI with the modules of
// its two cold paths, `join` and `credential` (kubectl's exec plugin), and V8 keeps the heap in
// a startup snapshot; the executable then starts from that heap and only runs startCli. Faster
// than SEA's code cache for those two commands (docs/performance.md, "Packaged executable").
// Nothing here may leave a handle open or read the machine at build time: the modules only
// define things at their top level (agent/cli/main.ts starts nothing when built this way).
import { startupSnapshot } from 'node:v8';
import { startCli } from '../../agent/cli/main.js';
import { isSingleExecutable } from '../../agent/store/keytar-loader.js';
import '../../agent/cli/commands/join.js';
import '../../agent/cli/commands/credential.js';

startupSnapshot.setDeserializeMainFunction(() => startCli(isSingleExecutable()));
