// The desktop app as its own CLI (docs/stores.md §2): `<app executable> --kubejoin-cli <command>`
// runs a kubejoin command in the main process, with no window, and exits with its code. A
// keychain kubeconfig written by the app on macOS and Windows names this as kubectl's exec
// plugin, so `kubejoin credential` works there without Node.js (the packaged app's runAsNode
// fuse is off, so ELECTRON_RUN_AS_NODE is no way in).
import type { KeychainHelperLauncher } from '../agent/index.js';
import type { CliContext } from '../agent/index.js';

export const CLI_SWITCH = '--kubejoin-cli';

/** The CLI arguments when the app was started as the CLI, else undefined. */
export function cliModeArgs(argv: readonly string[]): string[] | undefined {
  const i = argv.indexOf(CLI_SWITCH);
  return i < 0 ? undefined : argv.slice(i + 1);
}

export interface CliModeApp {
  whenReady(): Promise<unknown>;
  exit(code: number): void;
  readonly dock?: { hide(): void } | undefined;
}

export interface CliModeEngine {
  /** agent/cli/main.ts's: one command with these streams; Ctrl-C and SIGTERM cancel it. */
  runCliProcess(argv: string[], io: Pick<CliContext, 'stdout' | 'stderr' | 'stdin' | 'env'>): Promise<number>;
  setKeychainHelperLauncher(launcher: KeychainHelperLauncher): void;
}

/** Runs one command; resolves with its exit code once stdout is flushed and app.exit was called. */
export async function runCliMode(
  app: CliModeApp,
  engine: CliModeEngine,
  keychainLauncher: () => KeychainHelperLauncher,
  args: string[],
  io: Pick<CliContext, 'stdout' | 'stderr' | 'stdin' | 'env'>,
): Promise<number> {
  app.dock?.hide();
  // utilityProcess (the keychain helper) can only be started once the app is ready.
  await app.whenReady();
  engine.setKeychainHelperLauncher(keychainLauncher());
  const code = await engine.runCliProcess(args, io);
  // Pipes are asynchronous on macOS: let kubectl have every byte before the process ends.
  await new Promise<void>((resolve) => io.stdout.write('', () => resolve()));
  app.exit(code);
  return code;
}
