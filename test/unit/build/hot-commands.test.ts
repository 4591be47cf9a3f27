import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { ROOT } from '../../helpers/paths.js';
import { OWN_BUILD_COMMANDS } from '../../../agent/cli/launcher.js';

// build/hot-commands.mjs: `join` and `credential` each get a build of the CLI with only that
// command, which the CLI's entry (agent/cli/bin.ts) loads instead of the whole CLI's ~30 chunks
// (docs/performance.md, "Profile of a cold join").
const load = async (): Promise<{ HOT_COMMANDS: string[]; onlyCommand(c: string): Plugin }> =>
  (await import(join(ROOT, 'build/hot-commands.mjs'))) as { HOT_COMMANDS: string[]; onlyCommand(c: string): Plugin };

describe('the hot commands have builds of their own', () => {
  it('valid: the entry sends the same commands that the build makes', async () => {
    assert.deepEqual([...OWN_BUILD_COMMANDS], (await load()).HOT_COMMANDS);
  });

  it("valid: join's build holds join and no other command; its path is at most 9 files", async () => {
    const { onlyCommand } = await load();
    const { metafile } = await build({
      absWorkingDir: ROOT,
      entryPoints: { cli: 'agent/cli/main.ts' },
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
      plugins: [onlyCommand('join')],
    });
    const inputs = Object.keys(metafile.inputs);
    assert.ok(inputs.includes('agent/cli/commands/join.ts'));
    assert.deepEqual(
      inputs.filter((f) => f.startsWith('agent/cli/commands/') && f !== 'agent/cli/commands/join.ts'),
      [],
      'no other command',
    );
    const outputs = metafile.outputs;
    const holder = Object.keys(outputs).find((o) => Object.keys(outputs[o]!.inputs).includes('agent/cli/commands/join.ts'))!;
    const seen = new Set<string>();
    const visit = (o: string): void => {
      if (seen.has(o)) return;
      seen.add(o);
      for (const i of outputs[o]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
    };
    visit('out/cli.js');
    visit(holder);
    // With the whole CLI split, the join path was 33 files besides the entry.
    assert.ok(seen.size <= 9, [...seen].join('\n'));
  });
});
