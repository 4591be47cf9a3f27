// Test-only pause hook (docs/stores.md §5), the companion of crash-point.ts:
// KUBEJOIN_TEST_STOP_AT=<point> makes the process SIGSTOP itself at that point, so a test can
// change the disk under a run that holds its lock, then let it go on with SIGCONT. In the test
// build only (docs/architecture.md, "Test hooks"): what ships has no such hook.
// Points: `credential-staged`.

export function stopPoint(name: string): void {
  if (globalThis.KUBEJOIN_TEST_HOOKS !== false && process.env.KUBEJOIN_TEST_STOP_AT === name) process.kill(process.pid, 'SIGSTOP');
}
