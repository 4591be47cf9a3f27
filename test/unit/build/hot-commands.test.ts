import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS, loadHotCommands as load, staticOutputs } from '../../helpers/bundle-graph.js';
import { OWN_BUILD_COMMANDS } from '../../../agent/cli/launcher.js';

// build/hot-commands.mjs: `join` and `credential` each get a build of the CLI with only that
// command, which the CLI's entry (agent/cli/bin.ts) loads instead of the whole CLI's ~30 chunks
// (docs/performance.md, "Profile of a cold join").

describe('the hot commands have builds of their own', () => {
  it('valid: the entry sends the same commands that the build makes', async () => {
    assert.deepEqual([...OWN_BUILD_COMMANDS], (await load()).HOT_COMMANDS);
  });

  it("valid: join's build holds join and no other command; its path is at most 9 files", async () => {
    const { onlyCommand } = await load();
    const { metafile } = await build({ ...BUNDLE_OPTIONS, entryPoints: { cli: 'agent/cli/main.ts' }, splitting: true, plugins: [onlyCommand('join')] });
    const inputs = Object.keys(metafile!.inputs);
    assert.ok(inputs.includes('agent/cli/commands/join.ts'));
    assert.deepEqual(
      inputs.filter((f) => f.startsWith('agent/cli/commands/') && f !== 'agent/cli/commands/join.ts'),
      [],
      'no other command',
    );
    // The entry's path and the join command's path.
    const seen = new Set([...staticOutputs(metafile!, 'agent/cli/main.ts'), ...staticOutputs(metafile!, 'agent/cli/commands/join.ts')]);
    // With the whole CLI split, the join path was 33 files besides the entry.
    assert.ok(seen.size <= 9, [...seen].join('\n'));
  });
});
