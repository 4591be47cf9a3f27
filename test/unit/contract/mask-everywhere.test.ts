import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskDeep, maskTokenShapes, type JoinEvent } from '../../../agent/contract/index.js';
import { KubejoinError, toErrorInfo } from '../../../agent/errors.js';
import { JsonRenderer } from '../../../agent/cli/render/json.js';
import { redactDeep } from '../../../main/redact.js';
import { diagnosticsText } from '../../../renderer/diagnostics.js';
import { applyEvent, emptyView } from '../../../renderer/join-view.js';

// A token-shaped secret that reached a message (a server echoed it, an operator pasted it in
// the wrong place) is masked at every exit: the typed error, the engine's events, the JSON
// lines, the desktop app's main process and the renderer's diagnostics.

const SECRET = '0123456789abcdef';
const TOKEN = `abcdef.${SECRET}`;
/** Two overlapping token shapes: matched left to right alone, the real secret stayed visible. */
const OVERLAPPING = `ns3.7268408804abcdef.${SECRET}`;

describe('token-shaped text is masked everywhere', () => {
  it('valid: overlapping shapes are both masked, the id stays', () => {
    const out = maskTokenShapes(OVERLAPPING);
    assert.ok(!out.includes(SECRET), out);
    assert.equal(maskTokenShapes(`token ${TOKEN} here`), 'token abcdef.**************** here');
  });

  it('valid: a typed error masks its message and hint when it is made; an untyped one when it becomes ErrorInfo', () => {
    const err = new KubejoinError('timeout', `server said ${OVERLAPPING}`, { hint: `retry with ${TOKEN}` });
    assert.ok(!err.message.includes(SECRET) && !err.hint!.includes(SECRET));
    assert.ok(!toErrorInfo(new Error(`boom ${TOKEN}`)).message.includes(SECRET));
  });

  it('valid: engine events, JSON lines, main and the renderer diagnostics', () => {
    const failed: JoinEvent = {
      type: 'failed',
      phase: 'discover',
      durationMs: 1,
      at: 1,
      error: { category: 'timeout', exitCode: 6, message: `the server answered ${TOKEN}` },
    };
    const masked = maskDeep(failed, ['short-secret-value']);
    assert.ok(!JSON.stringify(masked).includes(SECRET));
    let out = '';
    new JsonRenderer({ stdout: { write: (s: string) => void (out += s) } } as never).event(failed);
    assert.ok(out.includes('abcdef.****************') && !out.includes(SECRET));
    assert.ok(!JSON.stringify(redactDeep(failed, [])).includes(SECRET));
    const view = applyEvent(emptyView(), failed);
    assert.ok(!diagnosticsText(view, undefined, []).includes(SECRET));
  });

  it('valid: the engine also masks its own token values that are not token-shaped', () => {
    const e = maskDeep({ message: 'value short-secret-value echoed' }, ['short-secret-value']);
    assert.ok(!e.message.includes('short-secret-value'));
  });
});
