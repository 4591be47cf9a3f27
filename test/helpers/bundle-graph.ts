import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BuildOptions, Metafile, Plugin } from 'esbuild';
import { ROOT } from './paths.js';

// The CLI bundled in memory as build/bundle.mjs bundles it, and what a command's path loads:
// for the tests that bound the cold path (docs/performance.md, "Profile of a cold join").

export const BUNDLE_OPTIONS: BuildOptions & { external: string[] } = {
  absWorkingDir: ROOT,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'out',
  write: false,
  metafile: true,
  logLevel: 'silent',
  external: ['electron', 'keytar', '@kubernetes/client-node'],
};

/** build/hot-commands.mjs: the commands with a build of their own, and the plugin that makes one. */
export const loadHotCommands = async (): Promise<{ HOT_COMMANDS: string[]; onlyCommand(c: string): Plugin }> =>
  (await import(join(ROOT, 'build/hot-commands.mjs'))) as { HOT_COMMANDS: string[]; onlyCommand(c: string): Plugin };

/** Outputs loaded, statically, from the output that holds `entry`. */
export function staticOutputs(meta: Metafile, entry: string): string[] {
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
  return [...seen];
}

/** Source files in `outputs`. */
export const sourcesOf = (meta: Metafile, outputs: string[]): string[] => outputs.flatMap((o) => Object.keys(meta.outputs[o]!.inputs));
