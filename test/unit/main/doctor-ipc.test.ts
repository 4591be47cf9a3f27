// The desktop app's "Run checks" (doctor.run) and the form's proxy line (doctor.proxy) over
// IPC: arguments checked in main, the report redacted, the proxy's credentials masked.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { DoctorReport, IpcResult, UiDoctorRequest } from '../../../agent/contract/index.js';
import { proxyInUse } from '../../../agent/transport/proxy.js';
import { eventFrom } from '../../helpers/fake-electron.js';
import { scriptedEngine } from '../../helpers/fake-engine.js';
import { startTestApp, stopTestApps } from '../../helpers/main-app.js';

const TOKEN = 'abcdef.0123456789abcdef';
afterEach(stopTestApps);

function report(summary: string): DoctorReport {
  return {
    endpoint: '10.0.0.1:6443',
    ok: false,
    exitCode: 4,
    checks: [{ id: 'token', status: 'fail', summary, evidence: [summary], category: 'token-refused', durationMs: 1 }],
    causes: [{ check: 'token', summary, category: 'token-refused' }],
    startedAt: new Date(0).toISOString(),
    durationMs: 5,
  };
}

describe('IPC doctor.run and doctor.proxy', () => {
  it("valid: the window's request reaches the engine; the report comes back with the token redacted", async () => {
    const engine = scriptedEngine();
    const seen: UiDoctorRequest[] = [];
    engine.runDoctor = async (req) => {
      seen.push(req);
      return report(`refused ${TOKEN}`);
    };
    const { electron, window } = await startTestApp({}, engine);
    const arg = { endpoint: '10.0.0.1:6443', caCertHashes: [`sha256:${'a'.repeat(64)}`], token: TOKEN };
    const answer = (await electron.ipcMain.invoke('kubejoin:doctor.run', eventFrom(window.webContents), arg)) as IpcResult<DoctorReport>;
    assert.equal(answer.type, 'success', JSON.stringify(answer));
    assert.deepEqual(seen, [arg]);
    const text = JSON.stringify(answer);
    assert.ok(!text.includes('0123456789abcdef'), text);
    assert.match(text, /refused \[redacted\]/);
  });

  it('invalid: unknown fields and a missing endpoint are refused before the engine runs', async () => {
    const engine = scriptedEngine();
    let runs = 0;
    engine.runDoctor = async () => (runs++, report('x'));
    const { electron, window } = await startTestApp({}, engine);
    for (const [arg, problem] of [
      [{ endpoint: '10.0.0.1:6443', certDir: '/etc' }, /may not set: "certDir"/],
      [{ caCertHashes: [] }, /needs an endpoint/],
      [{ endpoint: 42 }, /wrong type/],
    ] as const) {
      const answer = (await electron.ipcMain.invoke('kubejoin:doctor.run', eventFrom(window.webContents), arg)) as IpcResult<unknown>;
      assert.equal(answer.type, 'error');
      assert.match(answer.type === 'error' ? answer.message : '', problem);
    }
    assert.equal(runs, 0);
  });

  it("valid: the proxy line shows the environment's proxy with its credentials masked", async () => {
    const engine = scriptedEngine();
    engine.proxyInUse = proxyInUse;
    const env = { KUBEJOIN_PROVISION: '/nonexistent/provision.yaml', HTTPS_PROXY: 'http://kiosk:pr0xy-pa55@proxy.example:3128', NO_PROXY: '.corp' };
    const { electron, window } = await startTestApp({ env }, engine);
    const answer = (await electron.ipcMain.invoke('kubejoin:doctor.proxy', eventFrom(window.webContents))) as IpcResult<unknown>;
    assert.deepEqual(answer, { type: 'success', value: { proxy: 'http://***@proxy.example:3128', source: 'HTTPS_PROXY', noProxy: '.corp' } });
  });
});
