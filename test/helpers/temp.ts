// Temporary directories that clean up after themselves, and what a test left in them.
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A temporary directory, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A temporary directory removed after the test `t`. */
export async function workdir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubejoin-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir` (relative paths), empty if it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  if (
    !(await stat(dir).then(
      () => true,
      () => false,
    ))
  )
    return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? (entry as { path?: string }).path ?? '', entry.name).slice(dir.length + 1));
  }
  return out.sort();
}
