import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable } from '../../../agent/contract/index.js';

// Text from a server, made safe for a terminal or a page (agent/contract/text.ts).

/** A control character of any kind: what must never reach a terminal from a server. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** Retitles an xterm window and clears the screen. */
const HOSTILE = 'api.example.com\u001b]0;pwned\u0007\u001b[2J';

describe('printable', () => {
  it('valid: OSC title and screen clear become visible escapes', () => {
    assert.equal(printable(HOSTILE), 'api.example.com\\x1b]0;pwned\\x07\\x1b[2J');
  });

  it('valid: every C0 and C1 control and DEL is replaced; printable text stays as is', () => {
    let all = '';
    for (let c = 0; c <= 0xa0; c++) all += String.fromCharCode(c);
    const out = printable(all);
    assert.ok(!RAW_CONTROL.test(out) && !out.includes('\n') && !out.includes('\t'), JSON.stringify(out));
    assert.ok(out.includes(' !"#$%&') && out.includes('xyz{|}~') && out.includes('\u00a0'));
    assert.equal(printable('\r\u009b31m'), '\\x0d\\x9b31m');
    assert.equal(printable('plain text, ünïcode ✔ and a \\ backslash'), 'plain text, ünïcode ✔ and a \\ backslash');
  });

  it('valid: newlines stay only when asked (a renderer that lays out lines)', () => {
    assert.equal(printable('a\nb'), 'a\\x0ab');
    assert.equal(printable('a\nb\r\n\u001b[2J', true), 'a\nb\\x0d\n\\x1b[2J');
  });
});
