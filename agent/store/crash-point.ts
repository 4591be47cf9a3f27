// Test-only crash hook (docs/stores.md §5): KUBEJOIN_TEST_KILL_AT=<point> makes the process
// SIGKILL itself when it reaches that point, so the crash-safety tests can stop a join at an
// exact place (a phase start, or between two writes of a store). Compiled out of what ships
// (docs/architecture.md, "Test hooks"): there this function is empty. Points: every phase
// name, and those in CRASH_POINTS.

export const CRASH_POINTS = [
  'pending-key-staged',
  'pending-key-saved',
  'credential-staged',
  'journal-written',
  'first-rename',
  'keychain-entry-written',
] as const;

export function crashPoint(name: string): void {
  if (globalThis.KUBEJOIN_TEST_HOOKS !== false && process.env.KUBEJOIN_TEST_KILL_AT === name) process.kill(process.pid, 'SIGKILL');
}
