import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build, type Metafile } from 'esbuild';
import { ROOT } from '../../helpers/paths.js';

// docs/performance.md, "The exec plugin": `kubejoin credential` runs on every kubectl call, so
// what it loads before it answers is held here. The CLI is bundled as build/bundle.mjs does
// (entry plus chunks loaded on demand); the source files the exec plugin's path loads are the
// entry's (agent/cli/bin.ts, with the compile cache), the CLI's (main.ts, which the entry
// imports) and the credential chunk's static imports. The store flags (agent/cli/store-flags.ts)
// are in it; the store itself (keytar's helper, the kubeconfig reader) only behind import().

/** Source files loaded, statically, by the output that holds `entry`. */
function staticSources(meta: Metafile, entry: string): string[] {
  const outputs = meta.outputs;
  const start = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === entry || Object.keys(outputs[o]!.inputs).includes(entry));
  assert.ok(start, `an output holds ${entry}`);
  const seen = new Set<string>();
  const visit = (out: string): void => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const i of outputs[out]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(start);
  return [...new Set([...seen].flatMap((o) => Object.keys(outputs[o]!.inputs)))].sort();
}

describe('credential: the exec plugin loads only what it needs', () => {
  it('valid: its D-Bus read, the command framework, its flags and the contract; not the store, lifecycle or transport', async () => {
    const { metafile } = await build({
      absWorkingDir: ROOT,
      entryPoints: { cli: 'agent/cli/bin.ts' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir: 'out',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['electron', 'keytar', '@kubernetes/client-node'],
    });
    const entries = ['agent/cli/bin.ts', 'agent/cli/main.ts', 'agent/cli/commands/credential.ts'];
    const loaded = [...new Set(entries.flatMap((e) => staticSources(metafile, e)))];
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
    // 25 source files before the store flags (the CLI's entry and the command); they add one,
    // the entry with the compile cache (agent/cli/bin.ts, compile-cache.ts) two.
    assert.ok(ours.length <= 28, `${ours.length} source files:\n${ours.join('\n')}`);
  });
});
