// What the committed screenshots (docs/screenshots) show: the renderer's sources. Their hash is
// recorded beside the screenshots when the e2e run makes them (KUBEJOIN_UPDATE_SCREENSHOTS=1),
// and test/unit/renderer/screenshots.test.ts fails when the renderer changed since.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './paths.js';

export const SCREENSHOT_DIR = `${ROOT}docs/screenshots`;
export const RENDERER_HASH_FILE = `${SCREENSHOT_DIR}/renderer.sha256`;

/** Every UI state the e2e tests photograph. */
export const SCREENSHOTS = ['form', 'progress', 'success', 'failure', 'failure-dark', 'doctor', 'kiosk-joined', 'kiosk-invalid'] as const;

/** sha256 over renderer/'s files (names and contents, in name order). */
export async function rendererHash(): Promise<string> {
  const dir = `${ROOT}renderer`;
  const names = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
  const hash = createHash('sha256');
  for (const name of names.sort())
    hash
      .update(`${name}\0`)
      .update(await readFile(join(dir, name)))
      .update('\0');
  return hash.digest('hex');
}
