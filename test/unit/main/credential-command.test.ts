// The keychain kubeconfig the desktop app writes names a CLI that exists wherever the app is
// installed (the issue: a bare "kubejoin" is on the PATH only on Linux, and the launchers need
// Node.js, so kubectl failed on macOS and Windows after a "successful" join).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { JoinRequest } from '../../../agent/contract/index.js';
import { CLI_SWITCH } from '../../../main/cli-mode.js';
import { LINUX_CLI, desktopCredentialCommand } from '../../../main/credential-command.js';
import type { JoinFn } from '../../../main/join-session.js';
import { fakeElectron } from '../../helpers/fake-electron.js';
import { okEvents, scriptedEngine } from '../../helpers/fake-engine.js';
import { startTestApp } from '../../helpers/main-app.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
interface FileSet {
  from: string;
  to: string;
}
const config = parse(await readFile(`${root}electron-builder.yml`, 'utf8')) as {
  extraResources: FileSet[];
  mac?: { extraResources?: FileSet[] };
  win?: { extraResources?: FileSet[] };
  linux?: { extraResources?: FileSet[] };
  deb: { afterInstall: string };
};

/** What electron-builder puts in resources/ for a platform: the common list plus the platform's own. */
function resourcesFor(platform: 'mac' | 'win' | 'linux'): Map<string, string> {
  return new Map([...config.extraResources, ...(config[platform]?.extraResources ?? [])].map((r) => [r.to, r.from]));
}

describe('the exec-plugin command of the desktop app', () => {
  it('Linux: /usr/bin/kubejoin, which the package links to the shipped launcher', async () => {
    assert.deepEqual(desktopCredentialCommand('linux', '/opt/kubejoin/kubejoin-desktop', true), { command: LINUX_CLI, args: [] });
    assert.equal(resourcesFor('linux').get('bin/kubejoin'), 'build/linux/kubejoin');
    const afterInstall = await readFile(`${root}${config.deb.afterInstall}`, 'utf8');
    assert.ok(afterInstall.includes(`ln -sf "$RESOURCES/bin/kubejoin" ${LINUX_CLI}`));
  });

  it('macOS: the app executable itself in CLI mode, which needs no Node.js', () => {
    const exe = '/Applications/kubejoin.app/Contents/MacOS/kubejoin-desktop';
    assert.deepEqual(desktopCredentialCommand('darwin', exe, true), { command: exe, args: [CLI_SWITCH] });
  });

  it('Windows: the app executable itself in CLI mode, which needs no Node.js', () => {
    const exe = 'C:\\Program Files\\kubejoin\\kubejoin-desktop.exe';
    assert.deepEqual(desktopCredentialCommand('win32', exe, true), { command: exe, args: [CLI_SWITCH] });
  });

  it('a development build keeps the engine default', () => {
    assert.equal(desktopCredentialCommand('darwin', '/x', false), undefined);
  });

  it('the packaged app hands it to every join', async () => {
    const seen: Parameters<JoinFn>[1][] = [];
    const scripted = scriptedEngine([okEvents()]);
    const engine = {
      ...scripted,
      join: ((request: JoinRequest, options: Parameters<JoinFn>[1]) => (seen.push(options), scripted.join(request, options))) as JoinFn,
    };
    const electron = fakeElectron();
    electron.app.isPackaged = true;
    const { app } = await startTestApp(
      { platform: 'darwin', execPath: '/Applications/kubejoin.app/Contents/MacOS/kubejoin-desktop' },
      engine as typeof scripted,
      electron,
    );
    app.session.start({ endpoint: '10.0.0.1:6443', token: 'abcdef.0123456789abcdef', caCertHashes: [`sha256:${'a'.repeat(64)}`] });
    await app.session.settled();
    assert.deepEqual(seen[0]?.credentialCommand, { command: '/Applications/kubejoin.app/Contents/MacOS/kubejoin-desktop', args: [CLI_SWITCH] });
  });
});
