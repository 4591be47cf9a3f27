// Files that hold (or point at) a bootstrap token must not be open to other users, as ssh
// refuses a private key: "permissions 0644 for '/etc/kubejoin/token' are too open".
// Group read is allowed: the package gives /etc/kubejoin to root:kubejoin (0750) so the
// kiosk's user, in group kubejoin, can read files there that are 0640 (docs/kiosk.md).
import { stat } from 'node:fs/promises';

export type ModeOf = (path: string) => Promise<number | undefined>;

export const modeOf: ModeOf = async (path) => (await stat(path).catch(() => undefined))?.mode;

/** Why `path` is too open, or undefined (also when it cannot be read: that is said elsewhere). */
export async function tooOpen(path: string, platform: NodeJS.Platform, mode: ModeOf = modeOf): Promise<string | undefined> {
  if (platform === 'win32') return undefined;
  const m = await mode(path);
  if (m === undefined) return undefined;
  const perm = m & 0o777;
  if ((perm & 0o027) === 0) return undefined;
  const who = perm & 0o004 ? 'other users can read it' : perm & 0o002 ? 'other users can change it' : 'its group can change it';
  return `permissions ${perm.toString(8).padStart(4, '0')} for '${path}' are too open: ${who}, and it holds or leads to a bootstrap token (chmod 640 with group kubejoin, or 600)`;
}
