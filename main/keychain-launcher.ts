// The desktop app's keychain helper (docs/stores.md §2): keytar runs in an Electron
// utilityProcess (main/keychain-helper.ts), so a call blocked on an unlock prompt, or libsecret
// crashing on a locked collection, ends that process and never the app or the kiosk.
// The packaged app has the runAsNode fuse off, so `node -e` (the CLI's way) is not possible here.
import { helperEnv, type HelperReply, type KeychainHelperLauncher } from '../agent/index.js';

/** The part of a utilityProcess child the launcher uses. */
export interface UtilityChildLike {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  postMessage(message: unknown): void;
  kill(): boolean;
  readonly stderr: NodeJS.ReadableStream | null;
}

/** Electron's `utilityProcess` (only usable once the app is ready). */
export interface UtilityProcessLike {
  fork(
    modulePath: string,
    args?: string[],
    options?: { env?: NodeJS.ProcessEnv; serviceName?: string; stdio?: 'ignore' | 'pipe' | 'inherit' | Array<'ignore' | 'pipe' | 'inherit'> },
  ): UtilityChildLike;
}

export function utilityProcessLauncher(utility: UtilityProcessLike, helperPath: string): KeychainHelperLauncher {
  return (events, env) => {
    // Only what keytar needs (helperEnv): never the token or proxy credentials of this process.
    const child = utility.fork(helperPath, [], { env: helperEnv(env), serviceName: 'kubejoin keychain', stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    let killed = false;
    child.stderr?.on('data', (d: Buffer | string) => (output = (output + d.toString()).slice(-4000)));
    child.on('message', (message) => events.reply(message as HelperReply));
    // Electron reports only a number: on POSIX the signal's number for a process that was
    // killed (Chromium's termination status). The helper itself only ever exits with 0, 1 (no
    // keytar) or 2 (not in a utilityProcess), so anything else we did not ask for is a crash:
    // libsecret's SIGSEGV on a locked collection.
    child.on('exit', (code) => events.exit(code, !killed && ![0, 1, 2].includes(code) ? `exit code ${code}` : null, output));
    return {
      send: (req) => child.postMessage(req),
      kill: () => {
        killed = true;
        child.kill();
      },
    };
  };
}
