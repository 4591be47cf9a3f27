import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { RENDERER_HASH_FILE, SCREENSHOT_DIR, SCREENSHOTS, rendererHash } from '../../helpers/renderer-hash.js';

// The screenshots the README shows are made by the e2e tests (test/e2e/renderer.test.ts,
// edge-run-checks.test.ts) with KUBEJOIN_UPDATE_SCREENSHOTS=1, which records the hash of the
// renderer they photographed. A renderer changed since then fails here, so they never go stale.

describe('docs/screenshots', () => {
  it('valid: every UI state has its screenshot', () => {
    for (const name of SCREENSHOTS) assert.ok(existsSync(`${SCREENSHOT_DIR}/${name}.png`), `docs/screenshots/${name}.png is missing`);
  });
  it('valid: the screenshots show the current renderer', async () => {
    const recorded = existsSync(RENDERER_HASH_FILE) ? readFileSync(RENDERER_HASH_FILE, 'utf8').trim() : '(none)';
    assert.equal(
      recorded,
      await rendererHash(),
      'renderer/ changed since docs/screenshots were made: run KUBEJOIN_UPDATE_SCREENSHOTS=1 on test/e2e/renderer.test.ts and test/e2e/edge-run-checks.test.ts, and commit docs/screenshots',
    );
  });
});
