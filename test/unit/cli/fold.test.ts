import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JoinEvent } from '../../../agent/contract/index.js';
import { FOLD_EVERY_MS, RetryFold } from '../../../agent/cli/render/fold.js';

// Plain text and NDJSON fold repeated retry lines: a reason once, again when it changes or
// FOLD_EVERY_MS later; other events always show.

const retry = (reason: string, attempt: number, at: number): JoinEvent => ({
  type: 'progress',
  phase: 'discover',
  message: `${reason}; retrying (attempt ${attempt}, 4m 10s left)`,
  attempt,
  at,
});

describe('RetryFold', () => {
  it('valid: the same reason shows once, a changed reason at once, a repeat again after the fold interval', () => {
    const fold = new RetryFold();
    const shown = [
      retry('no signature yet', 2, 0),
      retry('no signature yet', 3, 500),
      retry('no signature yet', 4, 1000),
      retry('may be mistyped', 5, 1500),
      retry('may be mistyped', 6, 2000),
      retry('may be mistyped', 7, 1500 + FOLD_EVERY_MS),
    ].map((e) => fold.shows(e));
    assert.deepEqual(shown, [true, false, false, true, false, true]);
  });
  it('valid: lines that are not retries, and other events, always show', () => {
    const fold = new RetryFold();
    const note: JoinEvent = { type: 'progress', phase: 'discover', message: 'connecting through a proxy', at: 0 };
    assert.ok(fold.shows(note) && fold.shows(note));
    assert.ok(fold.shows({ type: 'started', phase: 'discover', at: 0 }));
  });
});
