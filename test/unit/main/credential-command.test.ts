// The keychain kubeconfig the desktop app writes names an absolute path to a CLI launcher
// that electron-builder.yml ships on every platform (the issue: a bare "kubejoin" is on the
// PATH only on Linux, so kubectl failed on macOS and Windows after a "successful" join).
import assert from 'node:assert/strict';
import { access, constants, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { JoinRequest } from '../../../agent/contract/index.js';
import { LAUNCHER_RESOURCE, LINUX_CLI, desktopCredentialCommand } from '../../../main/credential-command.js';
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
    assert.deepEqual(desktopCredentialCommand('linux', '/opt/kubejoin/resources', true), { command: LINUX_CLI, args: [] });
    const from = resourcesFor('linux').get(LAUNCHER_RESOURCE.linux!);
    assert.equal(from, 'build/linux/kubejoin');
    const afterInstall = await readFile(`${root}${config.deb.afterInstall}`, 'utf8');
    assert.ok(afterInstall.includes(`ln -sf "$RESOURCES/${LAUNCHER_RESOURCE.linux}" ${LINUX_CLI}`));
  });

  it('macOS: <resources>/bin/kubejoin, an executable launcher electron-builder ships there', async () => {
    assert.deepEqual(desktopCredentialCommand('darwin', '/Applications/kubejoin.app/Contents/Resources', true), {
      command: '/Applications/kubejoin.app/Contents/Resources/bin/kubejoin',
      args: [],
    });
    const from = resourcesFor('mac').get(LAUNCHER_RESOURCE.darwin!);
    assert.ok(from, 'shipped for macOS');
    await access(`${root}${from}`, constants.X_OK);
    assert.match(await readFile(`${root}${from}`, 'utf8'), /cli\/cli\.mjs/);
  });

  it('Windows: <resources>\\bin\\kubejoin.cmd, a launcher electron-builder ships there', async () => {
    assert.deepEqual(desktopCredentialCommand('win32', 'C:\\Program Files\\kubejoin\\resources', true), {
      command: 'C:\\Program Files\\kubejoin\\resources\\bin\\kubejoin.cmd',
      args: [],
    });
    const from = resourcesFor('win').get(LAUNCHER_RESOURCE.win32!);
    assert.equal(from, 'build/win/kubejoin.cmd');
    const cmd = await readFile(`${root}${from}`, 'utf8');
    assert.match(cmd, /node "%~dp0\.\.\\cli\\cli\.mjs" %\*\r\n/);
    assert.ok(resourcesFor('win').get('cli/cli.mjs'), 'the CLI it runs ships too');
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
      { platform: 'darwin', resourcesPath: '/Applications/kubejoin.app/Contents/Resources' },
      engine as typeof scripted,
      electron,
    );
    app.session.start({ endpoint: '10.0.0.1:6443', token: 'abcdef.0123456789abcdef', caCertHashes: [`sha256:${'a'.repeat(64)}`] });
    await app.session.settled();
    assert.deepEqual(seen[0]?.credentialCommand, { command: '/Applications/kubejoin.app/Contents/Resources/bin/kubejoin', args: [] });
  });
});
