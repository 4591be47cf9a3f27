import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { TextRenderer } from '../../../agent/cli/render/text.js';
import { JsonRenderer } from '../../../agent/cli/render/json.js';
import type { JoinEvent } from '../../../agent/contract/index.js';

function sink(isTTY: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean };
  s.isTTY = isTTY;
  let text = '';
  s.on('data', (d: Buffer) => (text += d.toString()));
  return { s, text: () => text };
}

const events: JoinEvent[] = [
  { type: 'started', phase: 'validate', at: 0 },
  { type: 'succeeded', phase: 'validate', durationMs: 1, at: 1 },
  { type: 'started', phase: 'discover', at: 1 },
  { type: 'progress', phase: 'discover', message: 'no JWS signature yet; retrying (attempt 3)', attempt: 3, at: 500 },
  {
    type: 'failed',
    phase: 'discover',
    durationMs: 600,
    error: { category: 'token-refused', exitCode: 4, message: 'token id "abcdef" is invalid', hint: 'Create a new token' },
    at: 600,
  },
  {
    type: 'result',
    result: {
      ok: false,
      phase: 'discover',
      error: { category: 'token-refused', exitCode: 4, message: 'token id "abcdef" is invalid', hint: 'Create a new token' },
      durationMs: 600,
      phaseDurationsMs: { validate: 1, discover: 600 },
    },
    at: 600,
  },
];

describe('join output', () => {
  it('not a TTY: one plain line per event, the error and its exit code on stderr', () => {
    const out = sink(false);
    const err = sink(false);
    const r = new TextRenderer({ stdout: out.s, stderr: err.s, stdin: new PassThrough(), env: {}, signal: new AbortController().signal });
    for (const e of events) r.event(e);
    assert.equal(out.text().split('\n').filter(Boolean).length, 5);
    assert.match(out.text(), /\[discover\] no JWS signature yet; retrying \(attempt 3\)/);
    assert.doesNotMatch(out.text(), /\x1b\[/);
    assert.match(err.text(), /error: token id "abcdef" is invalid\n {2}Create a new token\n {2}\(exit 4: the token was refused, in phase discover\)/);
  });
  it('TTY: a live step list redrawn in place, colours unless NO_COLOR', () => {
    for (const [env, colour] of [
      [{}, true],
      [{ NO_COLOR: '1' }, false],
    ] as const) {
      const out = sink(true);
      const r = new TextRenderer({ stdout: out.s, stderr: sink(false).s, stdin: new PassThrough(), env, signal: new AbortController().signal });
      for (const e of events.slice(0, 5)) r.event(e);
      assert.match(out.text(), /\x1b\[9F\x1b\[J/, 'moves up over the 9 steps to redraw');
      assert.match(out.text(), /Wait for approval/);
      assert.equal(/\x1b\[3[126]m/.test(out.text()), colour);
    }
  });
  it('json: one JSON object per line, the last the result', () => {
    const out = sink(false);
    const r = new JsonRenderer({ stdout: out.s, stderr: sink(false).s, stdin: new PassThrough(), env: {}, signal: new AbortController().signal });
    for (const e of events) r.event(e);
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JoinEvent);
    assert.equal(lines.length, events.length);
    assert.equal(lines.at(-1)!.type, 'result');
  });
});
