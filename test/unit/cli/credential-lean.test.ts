import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS as options, loadHotCommands, sourcesOf, staticOutputs } from '../../helpers/bundle-graph.js';

// docs/performance.md, "The exec plugin": `kubejoin credential` runs on every kubectl call, so
// what it loads before it answers is held here. The CLI is bundled as build/bundle.mjs does: the
// entry (agent/cli/bin.ts, one file with the compile cache) sends `credential` to the build of
// the CLI with only that command (build/hot-commands.mjs), whose entry (main.ts) and credential
// chunk load their static imports. The store flags (agent/cli/store-flags.ts) are in it; the
// store itself (keytar's helper, the kubeconfig reader) only behind import().

describe('credential: the exec plugin loads only what it needs', () => {
  it('valid: its D-Bus read, the command framework, its flags and the contract; not the store, lifecycle or transport', async () => {
    const { HOT_COMMANDS, onlyCommand } = await loadHotCommands();
    assert.ok(HOT_COMMANDS.includes('credential'), 'credential has a build of its own');
    const bin = await build({ ...options, entryPoints: { cli: 'agent/cli/bin.ts' }, external: [...options.external, './main.js'] });
    const cli = await build({ ...options, entryPoints: { cli: 'agent/cli/main.ts' }, splitting: true, plugins: [onlyCommand('credential')] });
    const outputs = [...new Set(['agent/cli/main.ts', 'agent/cli/commands/credential.ts'].flatMap((e) => staticOutputs(cli.metafile!, e)))];
    const loaded = [...new Set([...Object.keys(bin.metafile!.inputs), ...sourcesOf(cli.metafile!, outputs)])];
    const ours = loaded.filter((f) => f.startsWith('agent/'));
    assert.ok(ours.includes('agent/store/secret-service.ts') && ours.includes('agent/cli/store-flags.ts'), ours.join('\n'));
    const heavy = ours.filter((f) =>
      /^agent\/(lifecycle|transport|admin|join|discovery|csr|doctor)\/|^agent\/store\/(keychain|keytar-child|installed|file)\.ts$/.test(f),
    );
    assert.deepEqual(heavy, [], 'loaded before the credential is printed');
    assert.deepEqual(
      loaded.filter((f) => f.includes('node_modules')),
      [],
      'no dependency',
    );
    // 25 source files with the store flags and the entry's compile cache (agent/cli/bin.ts,
    // compile-cache.ts), in the command's own build; one more is the margin.
    assert.ok(ours.length <= 26, `${ours.length} source files:\n${ours.join('\n')}`);
    // In few files: the entry and the command's build (build/hot-commands.mjs); 14 when split with the whole CLI.
    assert.ok(outputs.length + 1 <= 10, `${outputs.length + 1} files:\n${outputs.join('\n')}`);
  });
});
