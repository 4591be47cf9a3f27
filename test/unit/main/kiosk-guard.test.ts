// The kiosk on Linux, where closable/minimizable do nothing: close refused, minimise undone,
// focus taken back; debugging switches refused at start; after repeated renderer crashes a
// native message with the join's state instead of a blank window.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { debugSwitch } from '../../../main/kiosk-guard.js';
import { failEvents, scriptedEngine } from '../../helpers/fake-engine.js';
import { startTestApp, stopTestApps, tick } from '../../helpers/main-app.js';

afterEach(stopTestApps);

const crash = (contents: { emit(event: string, ...args: unknown[]): void }): void =>
  contents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });

describe('kiosk window on Linux', () => {
  it('refuses to close until the app quits', async () => {
    const { window, electron } = await startTestApp({ argv: ['app', '--kiosk'] });
    assert.equal(window.tryClose(), true, 'close refused');
    electron.app.emit('before-quit');
    assert.equal(window.tryClose(), false, 'closes when the app quits');
  });

  it('comes back when minimised, and takes the focus back when it loses it', async () => {
    const { window } = await startTestApp({ argv: ['app', '--kiosk'] });
    window.minimized = true;
    window.emit('minimize');
    assert.equal(window.restored, 1);
    assert.equal(window.minimized, false);
    const focused = window.focused;
    window.emit('blur');
    assert.equal(window.focused, focused + 1);
    assert.ok(window.shown >= 2);
  });

  it('the desktop app (not a kiosk) closes, minimises and blurs normally', async () => {
    const { window } = await startTestApp({ argv: ['app'] });
    assert.equal(window.tryClose(), false);
    window.emit('minimize');
    window.emit('blur');
    assert.equal(window.restored, 0);
    assert.equal(window.focused, 0);
  });
});

describe('debugging switches', () => {
  const refused = ['--remote-debugging-port=9222', '--remote-debugging-pipe', '--inspect', '--inspect-brk=0', '--inspect-port=9229', '--js-flags=--expose-gc'];
  for (const arg of refused) {
    it(`invalid: a kiosk started with ${arg} exits 2 with a message and opens no window`, async () => {
      const { electron, logs, app } = await startTestApp({ argv: ['app', '--kiosk', arg] }).catch(() => assert.fail('startTestApp'));
      assert.deepEqual(electron.app.exits, [2]);
      assert.equal(electron.windows.length, 0);
      assert.equal(app.primary, false);
      assert.match(logs.join('\n'), new RegExp(`refusing to start: ${arg.split('=')[0]} would let anyone who reaches it control this kiosk`));
    });
  }

  it('refused by a packaged desktop app too; a development build may allow them with KUBEJOIN_ALLOW_DEBUGGING=1', async () => {
    const { fakeElectron } = await import('../../helpers/fake-electron.js');
    const packaged = fakeElectron();
    packaged.app.isPackaged = true;
    await startTestApp({ argv: ['app', '--inspect'], env: { KUBEJOIN_PROVISION: '/nonexistent', KUBEJOIN_ALLOW_DEBUGGING: '1' } }, undefined, packaged);
    assert.deepEqual(packaged.app.exits, [2], 'packaged: the escape hatch does not apply');
    const dev = await startTestApp({
      argv: ['app', '--kiosk', '--remote-debugging-port=0'],
      env: { KUBEJOIN_PROVISION: '/nonexistent', KUBEJOIN_ALLOW_DEBUGGING: '1' },
    });
    assert.deepEqual(dev.electron.app.exits, []);
    assert.equal(dev.electron.windows.length, 1);
    const desktop = await startTestApp({ argv: ['app', '--inspect'] });
    assert.deepEqual(desktop.electron.app.exits, [], 'an unpackaged desktop app is a developer build');
  });

  it('debugSwitch finds the switch with or without a value, and nothing else', () => {
    assert.equal(debugSwitch(['app', '--kiosk', '--remote-debugging-port', '9222']), '--remote-debugging-port');
    assert.equal(debugSwitch(['app', '--provision=/etc/kubejoin/provision.yaml']), undefined);
    assert.equal(debugSwitch(['app', '--inspector']), undefined);
  });
});

describe('repeated renderer crashes', () => {
  it('the first three in a minute reload; the fourth shows the join state in a native message, whose button reloads', async () => {
    const engine = scriptedEngine([failEvents()]);
    const provision = {
      ok: true as const,
      provision: {
        request: { endpoint: '10.0.0.1:6443', token: 'abcdef.0123456789abcdef', caCertHashes: [`sha256:${'b'.repeat(64)}`] },
        retryDelaySeconds: 600,
      },
    };
    const { window, electron, logs } = await startTestApp({ argv: ['app', '--kiosk'], loadProvision: async () => provision }, engine);
    for (
      let i = 0;
      i < 50 &&
      !electron.dialog.shown.length &&
      !window.webContents.sent.some(([c, v]) => c === 'kubejoin:kiosk.state' && (v as { phase: string }).phase === 'retry-wait');
      i++
    )
      await tick();
    for (let i = 0; i < 3; i++) crash(window.webContents);
    assert.equal(window.webContents.reloads, 3);
    assert.equal(electron.dialog.shown.length, 0);
    crash(window.webContents);
    assert.equal(window.webContents.reloads, 3, 'no fourth reload into a blank window');
    assert.equal(electron.dialog.shown.length, 1);
    const { options } = electron.dialog.shown[0]!;
    assert.match(options.message, /crashed 4 times in a minute/);
    assert.match(options.detail, /The join failed at "Pin the cluster CA": the cluster CA matches none of the given CA cert hashes/);
    assert.match(options.detail, /Kiosk: retry-wait, next attempt \(2\)/);
    assert.ok(!options.detail.includes('0123456789abcdef'));
    assert.match(logs.join('\n'), /crashed 4 times in a minute \(crashed\): showing the join's state instead/);
    const focused = window.focused;
    window.emit('blur');
    assert.equal(window.focused, focused, 'the window does not take the focus from the message');
    crash(window.webContents);
    assert.equal(electron.dialog.shown.length, 1, 'one message at a time');
    electron.dialog.answer(0);
    await tick();
    await tick();
    assert.equal(window.webContents.reloads, 4, 'the button reloads');
    crash(window.webContents);
    assert.equal(window.webContents.reloads, 5, 'and the count starts again');
  });
});
