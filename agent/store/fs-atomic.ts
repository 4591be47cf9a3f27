import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** A file written next to its target, waiting to be renamed into place. */
export interface StagedFile {
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Writes `data` to a temporary file beside `path` with the final mode, flushed to disk. */
export async function stageFile(path: string, data: string, mode = 0o600): Promise<StagedFile> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.chmod(mode);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  const abort = (): Promise<void> => rm(tmp, { force: true });
  return {
    abort,
    commit: async () => {
      try {
        await rename(tmp, path);
      } catch (err) {
        await abort();
        throw err;
      }
    },
  };
}

/**
 * Writes a file atomically: staged, then renamed over the target. A crash leaves the old
 * file or the new one, never half of either.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  await (await stageFile(path, data, mode)).commit();
}

/**
 * Creates `dir` (and parents) with `mode`; returns the top-most directory it created, so a
 * failed join can remove exactly what it added, or undefined if it already existed.
 */
export async function ensureDir(dir: string, mode = 0o700): Promise<string | undefined> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (await stat(d).then(() => true, () => false)) break;
    missing.push(d);
    if (dirname(d) === d) break;
  }
  if (missing.length === 0) return undefined;
  await mkdir(dir, { recursive: true, mode });
  return missing[missing.length - 1];
}
