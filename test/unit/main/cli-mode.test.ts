// The desktop app as its own CLI (main/cli-mode.ts) and where the app's keychain helper comes
// from (main/app.ts): both install a launcher only once the app is ready, as utilityProcess needs.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { KeychainHelperLauncher } from '../../../agent/index.js';
import { runCliProcess } from '../../../agent/cli/main.js';
import { CLI_SWITCH, cliModeArgs, runCliMode } from '../../../main/cli-mode.js';
import { fakeElectron } from '../../helpers/fake-electron.js';
import { scriptedEngine } from '../../helpers/fake-engine.js';
import { startTestApp } from '../../helpers/main-app.js';

const launcher: KeychainHelperLauncher = () => ({ send: () => undefined, kill: () => undefined });

describe('cliModeArgs', () => {
  const cases: [string, string[], string[] | undefined][] = [
    ['valid: packaged, the switch first', ['--kubejoin-cli', 'credential', '--server', 'https://x'], ['credential', '--server', 'https://x']],
    ['valid: development (electron . --kubejoin-cli …)', ['.', '--kubejoin-cli', '--version'], ['--version']],
    ['valid: the switch alone: the CLI with no command (its usage, exit 2)', ['--kubejoin-cli'], []],
    ['invalid: no switch: the window app', ['--kiosk'], undefined],
  ];
  for (const [name, argv, want] of cases) it(name, () => assert.deepEqual(cliModeArgs(argv), want));
});

describe('runCliMode', () => {
  function harness(): { order: string[]; app: Parameters<typeof runCliMode>[0]; stdout: PassThrough; stderr: PassThrough; out: () => string } {
    const order: string[] = [];
    let ready = false;
    const stdout = new PassThrough();
    let text = '';
    stdout.on('data', (d: Buffer) => (text += d.toString()));
    return {
      order,
      stdout,
      stderr: new PassThrough(),
      out: () => text,
      app: {
        whenReady: async () => {
          ready = true;
          order.push('ready');
        },
        exit: (code) => order.push(`exit ${code}`),
        dock: { hide: () => order.push(ready ? 'dock hidden late' : 'dock hidden') },
      },
    };
  }

  it('valid: hides the dock, waits for ready, installs the helper launcher, runs the command, exits with its code', async () => {
    const h = harness();
    const code = await runCliMode(
      h.app,
      { runCliProcess, setKeychainHelperLauncher: (l) => h.order.push(l === launcher ? 'launcher installed' : 'another launcher') },
      () => launcher,
      ['--version'],
      { stdout: h.stdout, stderr: h.stderr, stdin: new PassThrough(), env: {} },
    );
    assert.equal(code, 0);
    assert.match(h.out(), /^kubejoin \d+\.\d+\.\d+/);
    assert.deepEqual(h.order, ['dock hidden', 'ready', 'launcher installed', 'exit 0']);
  });

  it("invalid: an unknown command: the CLI's exit 2 and its message, and no window", async () => {
    const h = harness();
    let stderr = '';
    h.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await runCliMode(h.app, { runCliProcess, setKeychainHelperLauncher: () => undefined }, () => launcher, ['frobnicate'], {
      stdout: h.stdout,
      stderr: h.stderr,
      stdin: new PassThrough(),
      env: {},
    });
    assert.equal(code, 2);
    assert.match(stderr, /unknown command "frobnicate"/);
    assert.deepEqual(h.order.at(-1), 'exit 2');
  });

  it('valid: the switch stays --kubejoin-cli: kubeconfigs already written on macOS and Windows name it', () => assert.equal(CLI_SWITCH, '--kubejoin-cli'));
});

describe('startApp: the keychain helper launcher', () => {
  it('valid: installed in the engine once the app is ready, before the window is made', async () => {
    const installed: [KeychainHelperLauncher, number][] = [];
    const electron = fakeElectron();
    const engine = { ...scriptedEngine(), setKeychainHelperLauncher: (l: KeychainHelperLauncher) => installed.push([l, electron.windows.length]) };
    await startTestApp({ keychainLauncher: () => launcher }, engine, electron);
    assert.deepEqual(installed, [[launcher, 0]], 'installed once, with no window yet');
    assert.equal(electron.windows.length, 1);
  });

  it('valid: an app started without one leaves the engine as it is', async () => {
    const installed: KeychainHelperLauncher[] = [];
    await startTestApp({}, { ...scriptedEngine(), setKeychainHelperLauncher: (l: KeychainHelperLauncher) => installed.push(l) });
    assert.deepEqual(installed, []);
  });
});
