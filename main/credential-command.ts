// The command kubectl runs as the exec plugin of a keychain kubeconfig the desktop app
// writes (docs/stores.md §2): an absolute path to a CLI that exists wherever the app is
// installed, never a bare "kubejoin" that only Linux puts on the PATH, and never one that needs
// Node.js where the package does not bring it.
import { CLI_SWITCH } from './cli-mode.js';

/** Linux: the deb links its CLI launcher into /usr/bin (build/linux/after-install.sh) and depends on nodejs. */
export const LINUX_CLI = '/usr/bin/kubejoin';

/**
 * The exec-plugin command for a packaged app, or undefined for a development build (the
 * engine's default then applies). macOS and Windows: the app's own executable in CLI mode
 * (main/cli-mode.ts), which needs nothing the installer did not put there.
 */
export function desktopCredentialCommand(platform: NodeJS.Platform, execPath: string, packaged: boolean): { command: string; args: string[] } | undefined {
  if (!packaged) return undefined;
  if (platform === 'linux') return { command: LINUX_CLI, args: [] };
  if (platform === 'darwin' || platform === 'win32') return { command: execPath, args: [CLI_SWITCH] };
  return undefined;
}
