// Bundles test/bench/engine-worker.ts with the CLI's esbuild settings (build/bundle.mjs:
// ESM, node20, code splitting, the same externals), so the warm-engine and fleet figures
// measure the engine as shipped, not a TypeScript loader. The bundle goes under .state/
// (gitignored) so that its externals resolve from the repository's node_modules. Like dist/,
// without the test hooks (build/test-hooks.mjs): the engine as it ships.
import { build } from 'esbuild';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a build script in plain JavaScript, without types
import { testHooksDefine } from '../../build/test-hooks.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const requireShim = "import { createRequire as __kjCreateRequire } from 'node:module'; const require = __kjCreateRequire(import.meta.url);";

export interface Bundle {
  worker: string;
  remove(): Promise<void>;
}

/** `root`: another checkout of the repository (test/bench/warm.ts --base), the engine of another commit. */
export async function bundleEngineWorker(root = ROOT): Promise<Bundle> {
  const outdir = join(root, '.state', 'bench', `worker-${process.pid}-${Date.now()}`);
  await mkdir(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { 'engine-worker': 'test/bench/engine-worker.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['electron', 'keytar', '@kubernetes/client-node'],
    banner: { js: requireShim },
    define: testHooksDefine(false) as Record<string, string>,
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return { worker: join(outdir, 'engine-worker.mjs'), remove: () => rm(outdir, { recursive: true, force: true }) };
}
