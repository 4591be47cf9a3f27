// The command kubectl runs as the exec plugin of a keychain kubeconfig the desktop app
// writes (docs/stores.md §2): an absolute path to the CLI launcher that the package ships,
// on every platform, never a bare "kubejoin" that only Linux puts on the PATH.
import { posix, win32 } from 'node:path';

/** Where electron-builder.yml puts the launcher, relative to the app's resources directory. */
export const LAUNCHER_RESOURCE: Readonly<Partial<Record<NodeJS.Platform, string>>> = {
  linux: 'bin/kubejoin',
  darwin: 'bin/kubejoin',
  win32: 'bin/kubejoin.cmd',
};

/** Linux: the package links the launcher into /usr/bin (build/linux/after-install.sh). */
export const LINUX_CLI = '/usr/bin/kubejoin';

/**
 * The exec-plugin command for a packaged app, or undefined for a development build (the
 * engine's default then applies).
 */
export function desktopCredentialCommand(platform: NodeJS.Platform, resourcesPath: string, packaged: boolean): { command: string; args: string[] } | undefined {
  if (!packaged) return undefined;
  if (platform === 'linux') return { command: LINUX_CLI, args: [] };
  const rel = LAUNCHER_RESOURCE[platform];
  if (!rel) return undefined;
  const path = platform === 'win32' ? win32.join(resourcesPath, ...rel.split('/')) : posix.join(resourcesPath, rel);
  return { command: path, args: [] };
}
