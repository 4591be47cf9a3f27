// Control characters a server sent (agent/contract/text.ts) never reach the page: textContent
// is safe against markup but keeps them, and a copied diagnostics text would carry them into
// a terminal. Every view that shows server text runs here on a fake DOM (fake-dom.ts).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { DoctorReport, ErrorInfo, JoinEvent, JoinResult } from '../../../agent/contract/index.js';
import { OK_RESULT } from '../../helpers/fake-engine.js';
import { installFakeDom, pageTexts, type FakeElement } from './fake-dom.js';

const EVIL = '\u001b]0;pwned\u0007\u001b[2J\r\u009b1m';
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let page: Map<string, FakeElement>;
before(() => (page = installFakeDom()));

function assertClean(what: string): void {
  const texts = pageTexts(page);
  for (const { id, text } of texts) assert.ok(!RAW.test(text), `${what}: #${id} holds a raw control character: ${JSON.stringify(text)}`);
  assert.ok(
    texts.some(({ text }) => text.includes('\\x1b]0;pwned\\x07\\x1b[2J')),
    `${what}: the server text is shown, escaped: ${JSON.stringify(texts)}`,
  );
  page.clear();
}

const error: ErrorInfo = { category: 'untrusted-cluster', exitCode: 3, message: `key id "k${EVIL}" is not ours`, hint: `subject CN=${EVIL}` };
const failing: JoinEvent[] = [
  { type: 'started', phase: 'discover', at: 0 },
  { type: 'progress', phase: 'discover', message: `HTTP 503 ${EVIL}`, attempt: 2, at: 1 },
  { type: 'failed', phase: 'discover', durationMs: 2, error, at: 2 },
  { type: 'result', result: { ok: false, phase: 'discover', error, durationMs: 2, phaseDurationsMs: {} }, at: 2 },
];
const joined = {
  ...OK_RESULT,
  server: `https://evil${EVIL}:6443`,
  identity: { username: `system:node:x${EVIL}`, groups: [EVIL] },
  certificate: { ...(OK_RESULT as Extract<JoinResult, { ok: true }>).certificate, subject: `CN=${EVIL}` },
} as JoinResult;

describe('hostile text in the window', () => {
  it('valid: the step list (progress messages)', async () => {
    const { ProgressView } = await import('../../../renderer/progress-view.js');
    const { applyEvent, emptyView } = await import('../../../renderer/join-view.js');
    const view = failing.slice(0, 2).reduce(applyEvent, emptyView(1, 'running'));
    new ProgressView().render(view, []);
    assertClean('steps');
  });

  it('valid: the failure screen and its diagnostics', async () => {
    const { renderFailure } = await import('../../../renderer/outcome-view.js');
    const { applyEvent, emptyView } = await import('../../../renderer/join-view.js');
    const text = renderFailure(failing.reduce(applyEvent, emptyView(1, 'failed')), undefined, []);
    assert.ok(!RAW.test(text.replace(/\n/g, '')), JSON.stringify(text));
    assertClean('failure');
  });

  it('valid: the success screen (server, identity, subject)', async () => {
    const { renderSuccess } = await import('../../../renderer/outcome-view.js');
    const { applyEvent, emptyView } = await import('../../../renderer/join-view.js');
    renderSuccess(applyEvent(emptyView(1, 'succeeded'), { type: 'result', result: joined, at: 1 }));
    assertClean('success');
  });

  it('valid: "Run checks" (the doctor report)', async () => {
    const { renderDoctorReport } = await import('../../../renderer/doctor-view.js');
    const report: DoctorReport = {
      endpoint: `evil${EVIL}:6443`,
      ok: false,
      exitCode: 3,
      checks: [
        { id: 'tls', status: 'fail', summary: `subject CN=${EVIL}`, evidence: [`key id ${EVIL}`], fix: EVIL, category: 'untrusted-cluster', durationMs: 1 },
      ],
      causes: [{ check: 'tls', summary: `HTTP 500 ${EVIL}`, fix: `fix ${EVIL}`, category: 'untrusted-cluster' }],
      startedAt: '2026-01-01T00:00:00Z',
      durationMs: 5,
    };
    renderDoctorReport(report, []);
    assertClean('doctor');
  });

  it('valid: the kiosk panel (problems and the provisioning path)', async () => {
    const { renderKiosk } = await import('../../../renderer/kiosk-panel.js');
    renderKiosk({ phase: 'invalid-file', provisionPath: `/p${EVIL}.yaml`, problems: [`line 3: ${EVIL}`] }, undefined);
    assertClean('kiosk');
  });
});
