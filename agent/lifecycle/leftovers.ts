import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstalledCredential } from '../store/installed.js';
import { FileStore } from '../store/file.js';

// What a join leaves before it finishes: the file store's kubelet-client.key.tmp (the
// keychain's pending-key entries are listed by agent/store/keychain.ts).

export const JOIN_PENDING_KEY = 'kubelet-client.key.tmp';

/** The certificate directory to look in: the located credential's, else the one given. */
export function certDirOf(installed: InstalledCredential | undefined, certDir: string | undefined): string | undefined {
  return installed instanceof FileStore ? installed.certDir : certDir;
}

export async function readJoinPendingKey(
  installed: InstalledCredential | undefined,
  certDir: string | undefined,
): Promise<{ path: string; keyPem: string } | undefined> {
  const dir = certDirOf(installed, certDir);
  if (!dir) return undefined;
  const path = join(dir, JOIN_PENDING_KEY);
  try {
    return { path, keyPem: await readFile(path, 'utf8') };
  } catch {
    return undefined;
  }
}
