// The commands that run cold most often, each bundled a second time on its own (build/bundle.mjs):
// the CLI with only that command, so that its path loads a few files instead of the ~30 chunks
// that splitting the whole CLI makes of it (docs/performance.md, "Profile of a cold join").
// agent/cli/bin.ts sends these commands to their own build; it holds the same list.
export const HOT_COMMANDS = ['join', 'credential'];

/**
 * esbuild plugin: agent/cli/main.ts's other commands become one stub that fails if loaded
 * (agent/cli/bin.ts never sends another command to this build).
 */
export function onlyCommand(command) {
  return {
    name: `only-${command}`,
    setup(b) {
      b.onResolve({ filter: /^\.\/commands\/[\w-]+\.js$/ }, (a) =>
        /[\\/]agent[\\/]cli[\\/]main\.ts$/.test(a.importer) && a.path !== `./commands/${command}.js`
          ? { path: 'other-command', namespace: 'kj-not-here' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'kj-not-here' }, () => ({
        contents: `throw new Error('this build of the CLI has only "${command}" (build/hot-commands.mjs)');`,
        loader: 'js',
      }));
    },
  };
}
