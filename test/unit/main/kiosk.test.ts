// Kiosk mode: how it is turned on, the window it gets, the join it starts by itself from
// the provisioning file, and the countdown before each retry.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { KioskState } from '../../../agent/contract/index.js';
import { kioskOptionsFromArgv, retryDelaySeconds } from '../../../main/kiosk.js';
import { defaultProvisionPath, type ProvisionResult } from '../../../main/provision.js';
import { eventFrom } from '../../helpers/fake-electron.js';
import { failEvents, okEvents, scriptedEngine } from '../../helpers/fake-engine.js';
import { startTestApp, stopTestApps, tick } from '../../helpers/main-app.js';
import { PIN, TOKEN } from '../../helpers/fixtures.js';

afterEach(stopTestApps);

const provision = (retryDelaySeconds = 2): ProvisionResult => ({
  ok: true,
  provision: { request: { endpoint: '10.0.0.1:6443', token: TOKEN, caCertHashes: [PIN] }, retryDelaySeconds },
});

function kioskStates(sent: [string, unknown][]): KioskState[] {
  return sent.filter(([c]) => c === 'kubejoin:kiosk.state').map(([, v]) => v as KioskState);
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await tick();
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('kiosk options', () => {
  const cases: [string, string[], boolean, boolean, string][] = [
    ['off: no flag, no file', ['app'], false, false, '/etc/kubejoin/provision.yaml'],
    ['on: --kiosk', ['app', '--kiosk'], false, true, '/etc/kubejoin/provision.yaml'],
    ['on: a file at the default path', ['app'], true, true, '/etc/kubejoin/provision.yaml'],
    ['on: --provision <file>', ['app', '--provision', '/tmp/p.json'], false, true, '/tmp/p.json'],
    ['on: --provision=<file>', ['app', '--provision=/tmp/p.yaml'], false, true, '/tmp/p.yaml'],
  ];
  for (const [name, argv, fileThere, enabled, path] of cases) {
    it(name, () => {
      const o = kioskOptionsFromArgv(argv, '/etc/kubejoin/provision.yaml', () => fileThere);
      assert.deepEqual(o, { enabled, provisionPath: path });
    });
  }

  it('documented default paths', () => {
    assert.equal(defaultProvisionPath('linux', {}), '/etc/kubejoin/provision.yaml');
    assert.equal(defaultProvisionPath('darwin', {}), '/Library/Application Support/kubejoin/provision.yaml');
    assert.equal(defaultProvisionPath('win32', { ProgramData: 'D:\\PD' }), 'D:\\PD\\kubejoin\\provision.yaml');
    assert.equal(defaultProvisionPath('linux', { KUBEJOIN_PROVISION: '/x.yaml' }), '/x.yaml');
  });

  it('retry delays double up to 5 minutes', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelaySeconds(30, n)),
      [30, 60, 120, 240, 300, 300, 300],
    );
  });
});

describe('kiosk window', () => {
  it('is full screen, frameless, not closable, with no menu and no devtools', async () => {
    const { window, electron } = await startTestApp({ argv: ['app', '--kiosk'] });
    const o = window.options;
    assert.equal(o.kiosk, true);
    assert.equal(o.fullscreen, true);
    assert.equal(o.closable, false);
    assert.equal(o.frame, false);
    assert.equal(o.webPreferences?.devTools, false);
    assert.equal(o.webPreferences?.sandbox, true);
    assert.equal(window.menuRemoved, true);
    assert.deepEqual(electron.menus, [null]);
    window.webContents.emit('devtools-opened');
    assert.equal(window.webContents.devToolsClosed, 1);
  });

  it('cannot be closed from the UI, but the app can still quit', async () => {
    const { window, electron } = await startTestApp({ argv: ['app', '--kiosk'] });
    assert.equal(window.tryClose(), true, 'close is refused');
    electron.app.emit('before-quit');
    assert.equal(window.tryClose(), false, 'quitting closes it');
  });

  it('opens no external links', async () => {
    const { window, electron } = await startTestApp({ argv: ['app', '--kiosk'] });
    assert.deepEqual(window.webContents.open('https://kubernetes.io/docs/'), { action: 'deny' });
    await tick();
    assert.deepEqual(electron.opened, []);
  });

  it('refuses a join started from the window', async () => {
    const { window, electron, engine } = await startTestApp({ argv: ['app', '--kiosk'] });
    const answer = await electron.ipcMain.invoke('kubejoin:join.start', eventFrom(window.webContents), { endpoint: '10.0.0.1:6443' });
    assert.deepEqual(answer, { type: 'error', message: 'this is a kiosk: the join starts from the provisioning file' });
    assert.equal(engine.requests.length, 0);
  });
});

describe('kiosk provisioning', () => {
  it('starts the join by itself from the file and stops when joined', async () => {
    const engine = scriptedEngine([okEvents()]);
    const { window, app } = await startTestApp({ argv: ['app', '--provision', '/p.yaml'], loadProvision: async () => provision() }, engine);
    await until(() => app.kioskController?.state().phase === 'joined', 'joined');
    assert.equal(engine.requests.length, 1);
    assert.equal(engine.requests[0]?.token, TOKEN);
    const phases = kioskStates(window.webContents.sent).map((s) => s.phase);
    assert.deepEqual(phases, ['joining', 'joined']);
    assert.ok(!JSON.stringify(window.webContents.sent).includes('0123456789abcdef'));
  });

  it('retries after a failure, with a visible countdown', async () => {
    const engine = scriptedEngine([failEvents(), okEvents()]);
    const { window, app } = await startTestApp({ argv: ['app', '--kiosk'], loadProvision: async () => provision(2) }, engine);
    await until(() => app.kioskController?.state().phase === 'joined', 'joined after a retry');
    const states = kioskStates(window.webContents.sent);
    const countdown = states.filter((s) => s.phase === 'retry-wait').map((s) => s.retry);
    assert.deepEqual(countdown, [
      { attempt: 2, secondsLeft: 2 },
      { attempt: 2, secondsLeft: 1 },
    ]);
    assert.equal(engine.requests.length, 2);
    const joinIds = new Set(window.webContents.sent.filter(([c]) => c === 'kubejoin:join.update').map(([, v]) => (v as { joinId: number }).joinId));
    assert.deepEqual([...joinIds], [1, 2]);
  });

  it('shows what is wrong with a malformed file and reads it again', async () => {
    let reads = 0;
    const loadProvision = async (): Promise<ProvisionResult> =>
      ++reads === 1 ? { ok: false, missing: false, problems: ['/p.yaml:3: unknown key "tokn"'] } : provision();
    const engine = scriptedEngine([okEvents()]);
    const { window, app } = await startTestApp({ argv: ['app', '--kiosk'], loadProvision }, engine);
    await until(() => app.kioskController?.state().phase === 'joined', 'joined once the file is fixed');
    const invalid = kioskStates(window.webContents.sent).filter((s) => s.phase === 'invalid-file');
    assert.ok(invalid.length > 0);
    assert.deepEqual(invalid[0]?.problems, ['/p.yaml:3: unknown key "tokn"']);
    assert.ok(
      invalid.some((s) => s.retry?.secondsLeft !== undefined),
      'a countdown to the next read',
    );
  });

  it('waits for a missing file', async () => {
    const { window, app } = await startTestApp({ argv: ['app', '--kiosk'] });
    await until(() => kioskStates(window.webContents.sent).length > 2, 'a few states');
    app.kioskController?.stop();
    const first = kioskStates(window.webContents.sent)[0];
    assert.equal(first?.phase, 'waiting-for-file');
    assert.equal(first?.provisionPath, '/nonexistent/provision.yaml');
  });
});
