import { randomBytes } from 'node:crypto';
import { lstat, open, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { readFileNoFollow, writeFileAtomic } from './fs-atomic.js';
import { readCredentialFile } from './read-credential.js';
import type { InstalledCredential } from './installed.js';
import { splitPem, type CertAndKey, type StoredItem } from './pem-pair.js';
import type { ClusterRef } from './types.js';

// The file store after the join, the kubelet's way (client-go certificate FileStore):
// a rotation writes kubelet-client-<UTC time>.pem (certificate then key, 0600, fsynced)
// and then switches kubelet-client-current.pem to it with one rename of a symlink, so
// the name the kubeconfig points at always holds a whole, working pair. The key of an
// unfinished rotation waits in kubelet-client-rotation.key.tmp (docs/stores.md §7).

export const ROTATION_KEY = 'kubelet-client-rotation.key.tmp';
/** The join's pending key (agent/store/file.ts). */
const JOIN_PENDING_KEY = 'kubelet-client.key.tmp';
const TIMESTAMPED = /^kubelet-client-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}(?:\.\d+)?\.pem$/;

function fail(action: string, path: string, err: unknown): KubejoinError {
  const code = (err as NodeJS.ErrnoException).code;
  return new KubejoinError('store-failed', `cannot ${action} ${path}: ${code ?? (err as Error).message}`, {
    hint: code === 'EACCES' || code === 'EPERM' ? 'Run as the user (or root) that joined.' : 'Check the path and free disk space.',
  });
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** The kubelet's file name format (2006-01-02-15-04-05), in UTC. */
export function timestampedName(date: Date): string {
  const iso = date.toISOString(); // 2026-11-29T23:50:02.123Z
  return `kubelet-client-${iso.slice(0, 10)}-${iso.slice(11, 19).replace(/:/g, '-')}.pem`;
}

export class InstalledFiles implements InstalledCredential {
  readonly kind = 'file' as const;
  readonly certDir: string;

  constructor(
    readonly kubeconfigPath: string,
    readonly cluster: ClusterRef,
    /** The kubeconfig's client-certificate (normally <certDir>/kubelet-client-current.pem). */
    readonly currentPath: string,
  ) {
    this.certDir = dirname(currentPath);
  }

  private get rotationKeyPath(): string {
    return join(this.certDir, ROTATION_KEY);
  }

  get rotationKeyLocation(): string {
    return this.rotationKeyPath;
  }

  describe(): StoredCredential {
    return { kind: 'file', reason: 'found through the kubeconfig', kubeconfigPath: this.kubeconfigPath, location: this.currentPath };
  }

  async load(): Promise<CertAndKey | undefined> {
    // The same read as the join's (agent/store/read-credential.ts): a regular file, or a link
    // to one in the same directory.
    const pem = await readCredentialFile(this.currentPath);
    if (pem === undefined) return undefined;
    const pair = splitPem(pem);
    if (!pair)
      throw new KubejoinError('store-failed', `${this.currentPath} does not hold a certificate and a private key`, {
        hint: 'Join again with a new token, or run "kubejoin reset" first.',
      });
    return pair;
  }

  async loadRotationKey(): Promise<string | undefined> {
    try {
      return await readFileNoFollow(this.rotationKeyPath);
    } catch (err) {
      throw fail('read', this.rotationKeyPath, err);
    }
  }

  async saveRotationKey(keyPem: string): Promise<void> {
    await writeFileAtomic(this.rotationKeyPath, keyPem, 0o600).catch((err: unknown) => {
      throw fail('write', this.rotationKeyPath, err);
    });
  }

  async discardRotationKey(): Promise<void> {
    await rm(this.rotationKeyPath, { force: true });
  }

  /** The file store commits in one rename: there is never a verified-but-uncommitted pair. */
  async loadUncommitted(): Promise<CertAndKey | undefined> {
    return undefined;
  }

  async replace(certPem: string, keyPem: string): Promise<void> {
    let target = join(this.certDir, timestampedName(new Date()));
    for (let n = 1; await exists(target); n++) target = target.replace(/(?:\.\d+)?\.pem$/, `.${n}.pem`);
    const previous = await this.linkTarget();
    try {
      await writeFileAtomic(target, `${certPem.trim()}\n${keyPem.trim()}\n`, 0o600);
      // Switch the name the kubeconfig uses with one rename: the old pair or the new one.
      const link = join(this.certDir, `.${basename(this.currentPath)}.${randomBytes(6).toString('hex')}.tmp`);
      const linked = await symlink(target, link).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          // Windows without the symlink privilege: an atomic copy instead (same guarantee).
          if (err.code === 'EPERM' || err.code === 'EACCES' || err.code === 'ENOSYS') return false;
          throw err;
        },
      );
      if (!linked) await writeFileAtomic(this.currentPath, `${certPem.trim()}\n${keyPem.trim()}\n`, 0o600);
      else {
        try {
          await rename(link, this.currentPath);
        } catch (err) {
          await rm(link, { force: true });
          throw err;
        }
      }
      await syncDir(this.certDir);
    } catch (err) {
      throw fail('write', target, err);
    }
    await this.discardRotationKey();
    await this.prune([target, ...(previous ? [previous] : [])]);
  }

  /** Where kubelet-client-current.pem points, if it is a symlink. */
  private async linkTarget(): Promise<string | undefined> {
    try {
      return resolve(this.certDir, await readlink(this.currentPath));
    } catch {
      return undefined;
    }
  }

  /** Older timestamped files than the current and the previous one. */
  private async timestamped(): Promise<string[]> {
    const names = await readdir(this.certDir).catch(() => [] as string[]);
    return names.filter((n) => TIMESTAMPED.test(n)).map((n) => join(this.certDir, n));
  }

  private async prune(keep: string[]): Promise<void> {
    for (const file of await this.timestamped()) if (!keep.includes(file)) await rm(file, { force: true });
  }

  async inventory(): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    if (await exists(this.currentPath)) {
      const target = await this.linkTarget();
      items.push({ what: 'client certificate and key', where: target ? `${this.currentPath} -> ${target}` : this.currentPath });
    }
    const target = await this.linkTarget();
    for (const file of await this.timestamped()) if (file !== target) items.push({ what: 'earlier client certificate and key', where: file });
    if (await exists(this.rotationKeyPath)) items.push({ what: 'key of an unfinished rotation', where: this.rotationKeyPath });
    const joinKey = join(this.certDir, JOIN_PENDING_KEY);
    if (await exists(joinKey)) items.push({ what: 'key of an unfinished join', where: joinKey });
    if (await exists(this.kubeconfigPath)) items.push({ what: 'kubeconfig', where: this.kubeconfigPath });
    return items;
  }

  async remove(): Promise<StoredItem[]> {
    const items = await this.inventory();
    const target = await this.linkTarget();
    const paths = [
      this.currentPath,
      ...(target ? [target] : []),
      ...(await this.timestamped()),
      this.rotationKeyPath,
      join(this.certDir, JOIN_PENDING_KEY),
      this.kubeconfigPath,
    ];
    for (const path of paths) {
      await rm(path, { force: true }).catch((err: unknown) => {
        throw fail('remove', path, err);
      });
    }
    return items;
  }
}

/** fsync a directory so a rename in it survives a power cut. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await fh.close();
  }
}
