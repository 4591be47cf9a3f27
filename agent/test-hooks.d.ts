// Whether the test hooks (the KUBEJOIN_TEST_* variables) are compiled in: build/test-hooks.mjs
// replaces `globalThis.KUBEJOIN_TEST_HOOKS` with false in what ships and with true in the test
// build; it is undefined when the sources run under tsx (unit tests), which counts as on.
// Guard every hook with `globalThis.KUBEJOIN_TEST_HOOKS !== false` (docs/architecture.md).
// eslint-disable-next-line no-var -- a global must be declared with var to be on globalThis
declare var KUBEJOIN_TEST_HOOKS: boolean | undefined;
