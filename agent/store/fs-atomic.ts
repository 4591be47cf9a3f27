import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { crashPoint } from './crash-point.js';

// Staged writes (docs/stores.md §1): a temporary file beside the target, created exclusively
// and without following symlinks, written, fsynced and closed; then renamed over the target,
// and the directory fsynced so the rename itself survives a power cut.

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = constants;

/** Every temporary file kubejoin writes starts with this, so a later run can sweep them. */
export const TMP_PREFIX = '.kubejoin-tmp.';

/** A file written next to its target, waiting to be renamed into place. */
export interface StagedFile {
  readonly tmp: string;
  readonly path: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Unlinks a path (never a directory), ignoring a missing one. */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** fsync of a directory: makes renames and unlinks in it durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, O_RDONLY | O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A new temporary name beside `path` (ours: TMP_PREFIX). */
export function tmpPathFor(path: string): string {
  return join(dirname(path), `${TMP_PREFIX}${basename(path)}.${randomBytes(6).toString('hex')}`);
}

/**
 * Writes `data` to a temporary file beside `path` (`tmp`, default a new one) with the final
 * mode, flushed to disk.
 */
export async function stageFile(path: string, data: string, mode = 0o600, tmp = tmpPathFor(path)): Promise<StagedFile> {
  const fh = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.chmod(mode);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await removeFile(tmp).catch(() => undefined);
    throw err;
  } finally {
    await fh.close().catch(() => undefined);
  }
  const abort = (): Promise<void> => removeFile(tmp).catch(() => undefined);
  return {
    tmp,
    path,
    abort,
    commit: async () => {
      try {
        await rename(tmp, path);
      } catch (err) {
        await abort();
        throw err;
      }
      await syncDir(dirname(path));
    },
  };
}

/** A staging that failed: the target it was for, and why. */
export class StageFailure extends Error {
  constructor(
    readonly target: string,
    override readonly cause: unknown,
  ) {
    super(`cannot stage ${target}`);
  }
}

/**
 * Stages several files at once: their fsyncs overlap (one commit of the file system's journal
 * instead of one after the other). All or none: when one fails, the temporaries of the others
 * are removed and the failure of the first in order is thrown (StageFailure).
 */
export async function stageAll(files: readonly { path: string; data: string; mode?: number; tmp?: string }[]): Promise<StagedFile[]> {
  const settled = await Promise.allSettled(files.map((f) => stageFile(f.path, f.data, f.mode ?? 0o600, f.tmp)));
  const failed = settled.findIndex((r) => r.status === 'rejected');
  if (failed < 0) return settled.map((r) => (r as PromiseFulfilledResult<StagedFile>).value);
  await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.abort() : undefined)));
  throw new StageFailure(files[failed]!.path, (settled[failed] as PromiseRejectedResult).reason);
}

/**
 * Writes a file atomically: staged, then renamed over the target (a symlink there is
 * replaced, not followed). A crash leaves the old file or the new one, never half of either.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600, stagedPoint?: string): Promise<void> {
  const staged = await stageFile(path, data, mode);
  if (stagedPoint) crashPoint(stagedPoint);
  await staged.commit();
}

/** Reads a file without following a symlink (ELOOP if it is one); undefined if missing. */
export async function readFileNoFollow(path: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(path, O_RDONLY | O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Creates `dir` (and missing parents) with `mode`. The directory itself must be a real
 * directory, not a symlink (ELOOP): we write keys into it. Nothing is ever removed again.
 */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
  const st = await lstat(dir);
  if (st.isSymbolicLink()) throw Object.assign(new Error(`${dir} is a symbolic link`), { code: 'ELOOP', path: dir });
  if (!st.isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR', path: dir });
}

/**
 * A directory of ours with `mode`: its mode set through a descriptor opened with O_NOFOLLOW
 * (a symlink fails with ELOOP, a file with ENOTDIR, as in ensureDir); created (and its
 * missing parents) only when missing. One open where it exists (the run lock made it).
 */
export async function ownDir(dir: string, mode = 0o700): Promise<void> {
  try {
    await chmodDirNoFollow(dir, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await ensureDir(dir, mode);
    await chmodDirNoFollow(dir, mode);
  }
}

/** chmod of a directory through a descriptor opened with O_NOFOLLOW: never a symlink's target. */
export async function chmodDirNoFollow(dir: string, mode: number): Promise<void> {
  const fh = await open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
}

/** Removes the temporaries an earlier, killed run left in `dir` (ours only: TMP_PREFIX). */
export async function sweepTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => n.startsWith(TMP_PREFIX))) {
    const path = join(dir, name);
    const st = await lstat(path).catch(() => undefined);
    if (st && !st.isDirectory()) {
      await removeFile(path);
      removed.push(path);
    }
  }
  if (removed.length > 0) await syncDir(dir).catch(() => undefined);
  return removed;
}

/** True when `path` exists as a regular file (symlinks are not followed, and are not files). */
export async function lstatFile(path: string): Promise<boolean> {
  const st = await lstat(path).catch(() => undefined);
  return st?.isFile() === true;
}
