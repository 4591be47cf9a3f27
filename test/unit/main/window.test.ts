// The window and its hardening, through the injected Electron API: secure web
// preferences, no navigation, no new windows, no permissions, the CSP on our pages,
// a single instance, and a reload after a renderer crash.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APP_URL, CONTENT_SECURITY_POLICY } from '../../../main/app-protocol.js';
import { isAllowedExternalUrl } from '../../../main/security.js';
import { fakeElectron, FakeEvent } from '../../helpers/fake-electron.js';
import { startTestApp } from '../../helpers/main-app.js';

describe('main window', () => {
  it('has the secure web preferences', async () => {
    const { window } = await startTestApp();
    const prefs = window.options.webPreferences!;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.allowRunningInsecureContent, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.experimentalFeatures, false);
    assert.equal(prefs.preload, '/app/preload.cjs');
    assert.equal(window.loadedUrl, APP_URL);
  });

  it('has no devtools in a packaged app', async () => {
    const electron = fakeElectron();
    electron.app.isPackaged = true;
    const { window } = await startTestApp({}, undefined, electron);
    assert.equal(window.options.webPreferences?.devTools, false);
    window.webContents.emit('devtools-opened');
    assert.equal(window.webContents.devToolsClosed, 1);
  });

  it('denies navigation, redirects and webviews', async () => {
    const { window, logs } = await startTestApp();
    assert.equal(window.webContents.tryEvent('will-navigate', 'https://evil.example/'), true);
    assert.equal(window.webContents.tryEvent('will-navigate', 'kubejoin://app/other.html'), true);
    assert.equal(window.webContents.tryEvent('will-redirect', 'https://evil.example/'), true);
    assert.equal(window.webContents.tryEvent('will-attach-webview'), true);
    assert.ok(logs.includes('blocked navigation to https://evil.example/'));
  });

  it('denies new windows; allowlisted links open in the system browser', async () => {
    const { window, electron } = await startTestApp();
    assert.deepEqual(window.webContents.open('https://evil.example/'), { action: 'deny' });
    assert.deepEqual(window.webContents.open('https://kubernetes.io/docs/reference/access-authn-authz/bootstrap-tokens/'), { action: 'deny' });
    await Promise.resolve();
    assert.deepEqual(electron.opened, ['https://kubernetes.io/docs/reference/access-authn-authz/bootstrap-tokens/']);
  });

  const links: [string, boolean][] = [
    ['https://kubernetes.io/docs/concepts/', true],
    ['https://kubernetes.io/docs', false],
    ['http://kubernetes.io/docs/', false],
    ['https://kubernetes.io.evil.example/docs/', false],
    ['https://user:pw@kubernetes.io/docs/', false],
    ['https://kubernetes.io/blog/', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ];
  for (const [url, allowed] of links) {
    it(`${allowed ? 'valid' : 'invalid'}: external link ${url}`, () => assert.equal(isAllowedExternalUrl(url), allowed));
  }

  it('refuses every permission except clipboard writes from our page', async () => {
    const { electron } = await startTestApp();
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen']) {
      assert.equal(await electron.session.request(p, 'kubejoin://app/index.html'), false, p);
    }
    assert.equal(await electron.session.request('clipboard-sanitized-write', 'kubejoin://app/index.html'), true);
    assert.equal(await electron.session.request('clipboard-sanitized-write', 'https://evil.example/'), false);
    assert.equal(electron.session.checkHandler?.(null, 'media', 'kubejoin://app'), false);
  });

  it('serves only our assets, with the CSP', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kj-renderer-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'index.html'), '<!doctype html>');
    await writeFile(join(dir, 'secret.txt'), 'no');
    const { electron } = await startTestApp({ rendererDir: dir });
    assert.deepEqual(electron.protocol.privileged, [{ scheme: 'kubejoin', privileges: { standard: true, secure: true } }]);
    const handler = electron.protocol.handlers.get('kubejoin')!;
    const page = await handler(new Request('kubejoin://app/index.html'));
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
    for (const url of ['kubejoin://app/secret.txt', 'kubejoin://app/../../etc/passwd', 'kubejoin://other/index.html']) {
      assert.equal((await handler(new Request(url))).status, 404, url);
    }
  });

  it('a second instance focuses the first window', async () => {
    const { electron, window } = await startTestApp();
    window.minimized = true;
    electron.app.emit('second-instance', new FakeEvent(), ['kubejoin'], '/');
    assert.equal(window.restored, 1);
    assert.equal(window.focused, 1);
    assert.ok(window.shown >= 1);
  });

  it('the second instance itself quits without a window', async () => {
    const electron = fakeElectron();
    electron.app.lockGranted = false;
    const { app } = await startTestApp({}, undefined, electron);
    assert.equal(app.primary, false);
    assert.equal(electron.app.quits, 1);
    assert.equal(electron.windows.length, 0);
    assert.equal(electron.ipcMain.handlers.size, 0);
  });

  it('a normal window can be closed; the app quits when it is', async () => {
    const { window, electron } = await startTestApp();
    assert.equal(window.tryClose(), false);
    electron.app.emit('window-all-closed');
    assert.equal(electron.app.quits, 1);
  });

  it('reloads the window after a renderer crash, at most 3 times a minute, then a message instead (test/unit/main/kiosk-guard.test.ts)', async () => {
    const { window, logs } = await startTestApp();
    window.webContents.emit('render-process-gone', new FakeEvent(), { reason: 'clean-exit', exitCode: 0 });
    assert.equal(window.webContents.reloads, 0);
    for (let i = 0; i < 5; i++) window.webContents.emit('render-process-gone', new FakeEvent(), { reason: 'crashed', exitCode: 139 });
    assert.equal(window.webContents.reloads, 3);
    assert.ok(logs.some((l) => l.includes("crashed 4 times in a minute (crashed): showing the join's state instead")));
  });

  it('after a reload, the window gets the join state back', async () => {
    const { electron, window, engine } = await startTestApp();
    engine.scripts.push([{ type: 'started', phase: 'validate', at: 0 }]);
    const ev = { sender: window.webContents, senderFrame: window.webContents.mainFrame };
    await electron.ipcMain.invoke('kubejoin:join.start', ev, { endpoint: '10.0.0.1:6443', token: 'abcdef.0123456789abcdef' });
    await new Promise((r) => setImmediate(r));
    window.webContents.emit('render-process-gone', new FakeEvent(), { reason: 'crashed', exitCode: 139 });
    const state = (await electron.ipcMain.invoke('kubejoin:join.getState', ev)) as {
      type: string;
      value: { joinId: number; events: unknown[]; request: unknown };
    };
    assert.equal(state.type, 'success');
    assert.equal(state.value.joinId, 1);
    assert.ok(state.value.events.length >= 1);
    assert.deepEqual(state.value.request, { endpoint: '10.0.0.1:6443' });
  });
});
