// Control characters from a server (agent/contract/text.ts) never reach the terminal through
// any CLI renderer: the join's plain lines and live step list, its result and error, the
// doctor's report, `status`, and reportError. JSON output escapes them (JSON.stringify).
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { reportError } from '../../../agent/cli/main.js';
import { renderDoctorText } from '../../../agent/cli/render/doctor.js';
import { JsonRenderer, terminalJson } from '../../../agent/cli/render/json.js';
import { renderStatusText } from '../../../agent/cli/render/status.js';
import { TextRenderer } from '../../../agent/cli/render/text.js';
import type { CliContext } from '../../../agent/cli/context.js';
import type { CredentialStatus, DoctorReport, ErrorInfo, JoinEvent, JoinResult } from '../../../agent/contract/index.js';
import { KubejoinError, UsageError } from '../../../agent/errors.js';
import { OK_RESULT } from '../../helpers/fake-engine.js';

const EVIL = '\u001b]0;pwned\u0007\u001b[2J\r\u009b1m';
/** Any control character but the newline. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
/** The renderer's own colours and cursor moves, which are not the server's. */
const OWN_SEQUENCES = /\u001b\[(?:\d+(?:;\d+)*m|\d+F\u001b\[J)/g;

function context(tty: boolean): { ctx: CliContext; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stream = (write: (s: string) => void): PassThrough & { isTTY?: boolean } => {
    const s = new PassThrough() as PassThrough & { isTTY?: boolean };
    s.isTTY = tty;
    s.on('data', (d: Buffer) => write(d.toString()));
    return s;
  };
  const ctx = { stdout: stream((s) => (out += s)), stderr: stream((s) => (err += s)), stdin: new PassThrough(), env: {}, signal: new AbortController().signal };
  return { ctx, out: () => out, err: () => err };
}

function assertClean(text: string, what: string): void {
  const own = text.replace(OWN_SEQUENCES, '');
  assert.ok(!RAW.test(own), `${what}: a raw control character: ${JSON.stringify(text)}`);
  assert.ok(text.includes('\\x1b]0;pwned\\x07\\x1b[2J'), `${what}: the text is shown, escaped: ${JSON.stringify(text)}`);
}

const error: ErrorInfo = {
  category: 'untrusted-cluster',
  exitCode: 3,
  message: `the server https://evil${EVIL}:6443 signed with key id "k${EVIL}"`,
  hint: `subject CN=${EVIL}`,
};
const events: JoinEvent[] = [
  { type: 'started', phase: 'discover', at: 0 },
  { type: 'progress', phase: 'discover', message: `HTTP 503 ${EVIL}`, at: 1 },
  { type: 'succeeded', phase: 'discover', durationMs: 2, message: `server https://evil${EVIL}`, at: 2 },
  { type: 'failed', phase: 'verify-signature', durationMs: 1, error, at: 3 },
  { type: 'result', result: { ok: false, phase: 'verify-signature', error, durationMs: 3, phaseDurationsMs: {} }, at: 3 },
];
const joined: JoinResult = { ...OK_RESULT, server: `https://evil${EVIL}:6443`, identity: { username: `system:node:x${EVIL}`, groups: [EVIL] } } as JoinResult;

describe('hostile text in the CLI renderers', () => {
  for (const tty of [false, true]) {
    it(`valid: join events, ${tty ? 'live step list (TTY)' : 'plain lines'}, and the error`, () => {
      const { ctx, out, err } = context(tty);
      const r = new TextRenderer(ctx);
      for (const e of events) r.event(e);
      assertClean(out(), 'stdout');
      assertClean(err(), 'stderr');
    });
  }

  it('valid: a successful result quoting the server and identity', () => {
    const { ctx, out } = context(false);
    new TextRenderer(ctx).event({ type: 'result', result: joined, at: 1 });
    assertClean(out(), 'result');
  });

  it('valid: the doctor report (endpoint, summaries, evidence, fixes)', () => {
    const report: DoctorReport = {
      endpoint: `evil${EVIL}:6443`,
      ok: false,
      exitCode: 3,
      checks: [
        {
          id: 'cluster-info',
          status: 'fail',
          summary: `server ${EVIL}`,
          evidence: [`key id ${EVIL}`, `subject CN=${EVIL}`],
          fix: EVIL,
          category: 'untrusted-cluster',
          durationMs: 1,
        },
      ],
      causes: [{ check: 'cluster-info', summary: `HTTP 500 ${EVIL}`, fix: `fix ${EVIL}`, category: 'untrusted-cluster' }],
      startedAt: '2026-01-01T00:00:00Z',
      durationMs: 5,
    };
    assertClean(renderDoctorText(report), 'doctor');
  });

  it('valid: status', () => {
    const status: CredentialStatus = {
      state: 'joined',
      exitCode: 12,
      summary: `joined; the cluster said ${EVIL}`,
      nodeName: 'n1',
      server: `https://evil${EVIL}:6443`,
      identityProblem: `HTTP 502 ${EVIL}`,
      hint: EVIL,
    };
    assertClean(renderStatusText(status), 'status');
  });

  it('valid: reportError for typed, usage and internal errors', () => {
    for (const e of [new KubejoinError('untrusted-cluster', `key id ${EVIL}`, { hint: EVIL }), new UsageError(`bad ${EVIL}`), new Error(`boom ${EVIL}`)]) {
      const { ctx, err } = context(false);
      reportError(e, ctx);
      assertClean(err(), e.name);
    }
  });

  it('valid: JSON lines keep the text, with ESC escaped (JSON.stringify) and C1 controls too', () => {
    const { ctx, out } = context(false);
    const r = new JsonRenderer(ctx);
    for (const e of events) r.event(e);
    assert.ok(!RAW.test(out()), JSON.stringify(out()));
    assert.ok(out().includes('\\u001b]0;pwned\\u0007\\u001b[2J\\r\\u009b1m'), out());
    assert.equal(terminalJson({ a: '\u007f\u0085é' }), '{"a":"\\u007f\\u0085é"}');
    const first = JSON.parse(out().split('\n')[1]!) as { message: string };
    assert.equal(first.message, `HTTP 503 ${EVIL}`, 'a JSON reader gets the server text back exactly');
  });
});
