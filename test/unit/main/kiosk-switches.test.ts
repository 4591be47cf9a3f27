// Debugging and sandbox-disabling switches are refused in every spelling Chromium accepts:
// "--name", "-name", and on Windows "/name", in any case, with or without "=value".
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { debugSwitch, debugSwitchMessage } from '../../../main/kiosk-guard.js';
import { startTestApp, stopTestApps } from '../../helpers/main-app.js';

afterEach(stopTestApps);

describe('kiosk switches in every spelling', () => {
  const debugging = [
    '-remote-debugging-port=9222',
    '-inspect',
    '/remote-debugging-port=9222',
    '/INSPECT-BRK',
    '--inspect-wait=0',
    '-inspect-brk-node',
    '--Remote-Debugging-Pipe',
    '-JS-FLAGS=--allow-natives-syntax',
  ];
  const sandbox = [
    '--no-sandbox',
    '-no-sandbox',
    '/No-Sandbox',
    '--disable-gpu-sandbox',
    '--disable-setuid-sandbox',
    '-disable-seccomp-filter-sandbox',
    '--DISABLE-NAMESPACE-SANDBOX',
  ];

  for (const arg of debugging) {
    it(`invalid: ${arg} is a debugging switch`, () => {
      assert.equal(debugSwitch(['app', '--kiosk', arg]), arg.split('=')[0]);
      assert.match(debugSwitchMessage(arg.split('=')[0]!), /would let anyone who reaches it control this kiosk/);
    });
  }

  for (const arg of sandbox) {
    it(`invalid: ${arg} turns off the sandbox`, () => {
      assert.equal(debugSwitch(['app', '--kiosk', arg]), arg);
      assert.match(debugSwitchMessage(arg), /turns off Chromium's sandbox/);
    });
  }

  it('valid: ordinary arguments, paths and look-alikes are not refused', () => {
    for (const arg of [
      '/usr/lib/kubejoin/kubejoin',
      '--provision=/etc/kubejoin/provision.yaml',
      '--inspector',
      '-inspectx',
      '--sandbox',
      '--enable-sandbox-logging',
      '--disable-gpu',
      'no-sandbox',
      '--kiosk',
    ]) {
      assert.equal(debugSwitch(['app', arg]), undefined, arg);
    }
  });

  it('invalid: a kiosk started with -no-sandbox or /inspect exits 2 with a message and opens no window', async () => {
    for (const arg of ['-no-sandbox', '/inspect']) {
      const { electron, logs } = await startTestApp({ argv: ['app', '--kiosk', arg] });
      assert.deepEqual(electron.app.exits, [2], arg);
      assert.equal(electron.windows.length, 0);
      assert.match(logs.join('\n'), new RegExp(`refusing to start: ${arg}`));
    }
  });
});
