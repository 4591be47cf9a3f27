// Test hooks are not in what ships (docs/architecture.md, "Test hooks"). Every hook in the
// sources (a KUBEJOIN_TEST_* variable, e.g. agent/store/crash-point.ts) sits behind
// `globalThis.KUBEJOIN_TEST_HOOKS !== false` (declared in agent/test-hooks.d.ts). esbuild's
// define turns that into a constant: false in the product builds (dist/ of `npm run build`,
// the executables of `npm run package`), where minifySyntax then drops the hook's code and
// its strings; true in the test build (`node build/bundle.mjs --test-hooks`). Under tsx (the
// unit tests run the sources) the global is undefined, so the hooks are on.

/** The esbuild `define` for a build with (`true`) or without (`false`) the test hooks. */
export function testHooksDefine(on) {
  return { 'globalThis.KUBEJOIN_TEST_HOOKS': on ? 'true' : 'false' };
}

/** Where the test build goes (gitignored, like all of test/out/). */
export const TEST_BUILD_DIR = 'test/out/dist-test';

/** The first test hook name in `text`, if any: what ships must have none. */
export function leakedHook(text) {
  return /KUBEJOIN_TEST_[A-Z0-9_]+/.exec(text)?.[0];
}
