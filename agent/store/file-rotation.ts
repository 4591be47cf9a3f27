import { randomBytes } from 'node:crypto';
import { lstat, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { KubejoinError } from '../errors.js';
import { syncDir, writeFileAtomic } from './fs-atomic.js';
import type { StoredItem } from './pem-pair.js';

// The file store's rotation, the kubelet's way (client-go certificate FileStore): a new pair
// goes to kubelet-client-<UTC time>.pem (certificate then key, 0600, fsynced), then
// kubelet-client-current.pem is switched to it with one rename of a symlink, so the name the
// kubeconfig points at always holds a whole, working pair (docs/stores.md §7).

export const ROTATION_KEY = 'kubelet-client-rotation.key.tmp';
/** The join's pending key. */
export const PENDING_KEY = 'kubelet-client.key.tmp';
const TIMESTAMPED = /^kubelet-client-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}(?:\.\d+)?\.pem$/;

/** Where a file store lives. */
export interface FilePlace {
  certDir: string;
  kubeconfigPath: string;
  /** The kubeconfig's client-certificate (normally <certDir>/kubelet-client-current.pem). */
  currentPath: string;
}

export function fail(action: string, path: string, err: unknown): KubejoinError {
  const code = (err as NodeJS.ErrnoException).code;
  return new KubejoinError('store-failed', `cannot ${action} ${path}: ${code ?? (err as Error).message}`, {
    hint: code === 'EACCES' || code === 'EPERM' ? 'Run as the user (or root) that joined.' : 'Check the path and free disk space.',
  });
}

export async function exists(path: string): Promise<boolean> {
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

/** Where kubelet-client-current.pem points, if it is a symlink. */
async function linkTarget(place: FilePlace): Promise<string | undefined> {
  try {
    return resolve(place.certDir, await readlink(place.currentPath));
  } catch {
    return undefined;
  }
}

/** The timestamped pairs in the cert dir. */
async function timestamped(certDir: string): Promise<string[]> {
  const names = await readdir(certDir).catch(() => [] as string[]);
  return names.filter((n) => TIMESTAMPED.test(n)).map((n) => join(certDir, n));
}

/** Writes the new pair beside the old one and switches the current name to it; prunes all but the two latest. */
export async function switchCurrent(place: FilePlace, certPem: string, keyPem: string): Promise<void> {
  const pair = `${certPem.trim()}\n${keyPem.trim()}\n`;
  let target = join(place.certDir, timestampedName(new Date()));
  for (let n = 1; await exists(target); n++) target = target.replace(/(?:\.\d+)?\.pem$/, `.${n}.pem`);
  const previous = await linkTarget(place);
  try {
    await writeFileAtomic(target, pair, 0o600);
    // Switch the name the kubeconfig uses with one rename: the old pair or the new one.
    const link = join(place.certDir, `.${basename(place.currentPath)}.${randomBytes(6).toString('hex')}.tmp`);
    const linked = await symlink(target, link).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        // Windows without the symlink privilege: an atomic copy instead (same guarantee).
        if (err.code === 'EPERM' || err.code === 'EACCES' || err.code === 'ENOSYS') return false;
        throw err;
      },
    );
    if (!linked) await writeFileAtomic(place.currentPath, pair, 0o600);
    else {
      try {
        await rename(link, place.currentPath);
      } catch (err) {
        await rm(link, { force: true });
        throw err;
      }
    }
    await syncDir(place.certDir).catch(() => undefined);
  } catch (err) {
    throw fail('write', target, err);
  }
  const keep = [target, ...(previous ? [previous] : [])];
  for (const file of await timestamped(place.certDir)) if (!keep.includes(file)) await rm(file, { force: true });
}

/** Everything of this credential that exists on disk (for reset). */
export async function fileInventory(place: FilePlace): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  const target = await linkTarget(place);
  if (await exists(place.currentPath)) {
    items.push({ what: 'client certificate and key', where: target ? `${place.currentPath} -> ${target}` : place.currentPath });
  }
  for (const file of await timestamped(place.certDir)) if (file !== target) items.push({ what: 'earlier client certificate and key', where: file });
  const rotationKey = join(place.certDir, ROTATION_KEY);
  if (await exists(rotationKey)) items.push({ what: 'key of an unfinished rotation', where: rotationKey });
  const joinKey = join(place.certDir, PENDING_KEY);
  if (await exists(joinKey)) items.push({ what: 'key of an unfinished join', where: joinKey });
  if (await exists(place.kubeconfigPath)) items.push({ what: 'kubeconfig', where: place.kubeconfigPath });
  return items;
}

/** Removes everything fileInventory lists; returns what it listed. */
export async function fileRemove(place: FilePlace): Promise<StoredItem[]> {
  const items = await fileInventory(place);
  const target = await linkTarget(place);
  const paths = [
    place.currentPath,
    ...(target ? [target] : []),
    ...(await timestamped(place.certDir)),
    join(place.certDir, ROTATION_KEY),
    join(place.certDir, PENDING_KEY),
    place.kubeconfigPath,
  ];
  for (const path of paths) {
    await rm(path, { force: true }).catch((err: unknown) => {
      throw fail('remove', path, err);
    });
  }
  return items;
}
