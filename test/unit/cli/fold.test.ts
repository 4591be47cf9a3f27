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

describe('the plain text renderer folds and says durations as the messages do', () => {
  it('valid: repeated retry lines print once; a long step says seconds', async () => {
    const { PassThrough } = await import('node:stream');
    const { TextRenderer } = await import('../../../agent/cli/render/text.js');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const err = new PassThrough();
    const r = new TextRenderer({ stdout: out, stderr: err, stdin: new PassThrough(), env: {}, signal: new AbortController().signal } as never);
    for (let n = 2; n < 30; n++) r.event(retry('no signature yet', n, n * 400));
    r.event({ type: 'failed', phase: 'discover', durationMs: 13_708, error: { category: 'token-refused', exitCode: 4, message: 'x' }, at: 13_708 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(text.split('\n').filter((l) => l.includes('retrying')).length, 1, text);
    assert.match(text, /\[discover\] FAILED after 13\.7 s\n/);
  });
});
