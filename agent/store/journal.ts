import { dirname, basename } from 'node:path';
import { rename } from 'node:fs/promises';
import { crashPoint } from './crash-point.js';
import { TMP_PREFIX, lstatFile, readFileNoFollow, removeFile, syncDir, writeFileAtomic, type StagedFile } from './fs-atomic.js';

// Several files renamed as one unit (docs/stores.md §1): once every file is staged and
// fsynced, a journal naming the (temporary, target) pairs is written atomically; then the
// renames happen and the journal is removed. A run killed between the journal and its
// removal is finished by the next run (`recover`), before anything else: all files are
// renamed, or (no journal) none are, and the temporaries are swept.

interface Entry {
  tmp: string;
  path: string;
}

/** Renames all staged files into place as one unit, recorded in `journalPath`. */
export async function commitTogether(files: readonly StagedFile[], journalPath: string): Promise<void> {
  const entries: Entry[] = files.map((f) => ({ tmp: f.tmp, path: f.path }));
  await writeFileAtomic(journalPath, `${JSON.stringify(entries)}\n`, 0o600);
  crashPoint('journal-written');
  await applyEntries(entries);
  await removeFile(journalPath);
  await syncDir(dirname(journalPath));
}

async function applyEntries(entries: readonly Entry[]): Promise<void> {
  let first = true;
  for (const e of entries) {
    if (!first) crashPoint('first-rename');
    first = false;
    // Already renamed by the run that died (or by an earlier recovery): nothing to do.
    if (await lstatFile(e.tmp)) await rename(e.tmp, e.path);
  }
  for (const dir of new Set(entries.map((e) => dirname(e.path)))) await syncDir(dir);
}

/**
 * Finishes a commit a killed run left half done. Only entries that rename one of our
 * temporaries onto one of `allowed` targets in the same directory are honoured.
 */
export async function recover(journalPath: string, allowed: readonly string[]): Promise<boolean> {
  const text = await readFileNoFollow(journalPath);
  if (text === undefined) return false;
  let entries: Entry[] = [];
  try {
    entries = (JSON.parse(text) as Entry[]).filter(
      (e) =>
        typeof e.tmp === 'string' &&
        typeof e.path === 'string' &&
        allowed.includes(e.path) &&
        dirname(e.tmp) === dirname(e.path) &&
        basename(e.tmp).startsWith(TMP_PREFIX),
    );
  } catch {
    entries = [];
  }
  await applyEntries(entries);
  await removeFile(journalPath);
  await syncDir(dirname(journalPath));
  return true;
}
