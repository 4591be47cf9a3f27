import { dirname, basename } from 'node:path';
import { rename } from 'node:fs/promises';
import { KubejoinError } from '../errors.js';
import { crashPoint } from './crash-point.js';
import { TMP_PREFIX, lstatFile, readFileNoFollow, removeFile, syncDir, tmpPathFor, type StagedFile } from './fs-atomic.js';

// Several files renamed as one unit (docs/stores.md §1): the files and a journal naming the
// (temporary, target) pairs are staged and fsynced together; at commit the journal is renamed
// into place (directory fsynced), then the renames happen and the journal is removed. A run
// killed between the journal and its removal is finished by the next run (`recover`), before
// anything else: all files are renamed, or (no journal) none are, and the temporaries are swept.

interface Entry {
  tmp: string;
  path: string;
}

/**
 * The journal naming `files`, staged with them (written and fsynced under a temporary name,
 * not yet in effect: a run killed before commitTogether leaves only temporaries to sweep).
 */
export function journalFor(files: readonly { tmp: string; path: string }[], journalPath: string): { path: string; data: string; tmp: string } {
  const entries: Entry[] = files.map((f) => ({ tmp: f.tmp, path: f.path }));
  return { path: journalPath, data: `${JSON.stringify(entries)}\n`, tmp: tmpPathFor(journalPath) };
}

/**
 * Renames all staged files into place as one unit, recorded in `journal` (staged by
 * journalFor): the journal is renamed into place (directory fsynced), then the files, then it
 * is removed. The caller fsyncs the journal's directory after that removal (and its own).
 */
export async function commitTogether(files: readonly StagedFile[], journal: StagedFile): Promise<void> {
  const entries: Entry[] = files.map((f) => ({ tmp: f.tmp, path: f.path }));
  // A staged file that is gone was removed by someone else: committing the rest would put
  // half a credential in place (or nothing, reported as done). Nothing is renamed then.
  const checked = await Promise.allSettled([...entries, journal].map(assertStaged));
  const gone = checked.find((r) => r.status === 'rejected');
  if (gone) throw gone.reason;
  await journal.commit();
  crashPoint('journal-written');
  await applyEntries(entries, true);
  await removeFile(journal.path);
}

/** Fails (exit 7) when a staged file is no longer there; the target is left as it is. */
export async function assertStaged(file: { tmp: string; path: string }): Promise<void> {
  if (await lstatFile(file.tmp)) return;
  throw new KubejoinError(
    'store-failed',
    `the staged copy of ${file.path} (${file.tmp}) was removed by another program before it was put in place; nothing was replaced`,
    {
      hint: 'Make sure no other program (or an older kubejoin) works in that directory at the same time, then join again: the pending key is kept, so the same certificate request is reused.',
    },
  );
}

/** `strict` (a live commit): every temporary must be renamed. Otherwise (recovery) a missing one was already renamed. */
async function applyEntries(entries: readonly Entry[], strict = false): Promise<void> {
  let first = true;
  for (const e of entries) {
    if (!first) crashPoint('first-rename');
    first = false;
    // Recovery: already renamed by the run that died (or by an earlier recovery): nothing to do.
    if (strict || (await lstatFile(e.tmp))) await rename(e.tmp, e.path);
  }
  await Promise.all([...new Set(entries.map((e) => dirname(e.path)))].map(syncDir));
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
