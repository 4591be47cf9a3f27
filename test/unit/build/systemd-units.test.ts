// The systemd units, one source for every Linux package: build/packages/systemd/ is what the
// edge deb/rpm install (build/packages/package.mjs, nfpm) and what the desktop deb ships
// (electron-builder.yml extraResources, installed by build/linux/after-install.sh). The
// installed bytes are compared in test/integration/desktop-deb-scripts.test.ts (desktop) and
// test/integration/packages-contents.test.ts (edge, with the man page).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT } from '../../helpers/paths.js';

const UNITS = ['kubejoin-join.service', 'kubejoin-agent.service'];
const unitText = (name: string): Promise<string> => readFile(`${ROOT}build/packages/systemd/${name}`, 'utf8');
const lines = (text: string): string[] => text.split('\n');

describe('systemd units: one source for the edge packages and the desktop deb', () => {
  it('valid: electron-builder ships build/packages/systemd/<unit>, the file nfpm packages, and after-install installs it', async () => {
    const config = parse(await readFile(`${ROOT}electron-builder.yml`, 'utf8')) as { extraResources: { from: string; to: string }[] };
    const systemd = config.extraResources.filter((r) => r.to.startsWith('systemd/'));
    assert.deepEqual(systemd.map((r) => [r.from, r.to]).sort(), UNITS.map((u) => [`build/packages/systemd/${u}`, `systemd/${u}`]).sort());
    const packaging = await readFile(`${ROOT}build/packages/package.mjs`, 'utf8');
    for (const u of UNITS) assert.ok(packaging.includes(`{ src: join(here, 'systemd/${u}'), dst: '/usr/lib/systemd/system/${u}'`), `package.mjs packages ${u}`);
    const install = await readFile(`${ROOT}build/linux/after-install.sh`, 'utf8');
    for (const u of UNITS) assert.match(install, new RegExp(`UNIT=${u.replace('.', '\\.')}\\ninstall -m 0644 "\\$RESOURCES/systemd/\\$UNIT"`));
  });

  it('valid: no second copy to drift: the repository has no other .service file', async () => {
    const { stdout } = await promisify(execFile)('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.service'], { cwd: ROOT });
    // The approver runs on a control-plane host: the edge packages carry it (not enabled), the desktop deb does not.
    const units = [...UNITS, 'kubejoin-approver.service'];
    assert.deepEqual(stdout.trim().split('\n').sort(), units.map((u) => `build/packages/systemd/${u}`).sort());
  });

  it('valid: kubejoin-join.service joins once, at boot, with the token as a credential, before the kubelet', async () => {
    const unit = lines(await unitText('kubejoin-join.service'));
    for (const line of [
      'Type=oneshot',
      'RemainAfterExit=yes',
      'ConditionPathExists=/etc/kubejoin/join.yaml',
      // A joined machine skips it: no 5-minute discovery with an expired token holding the kubelet.
      'ConditionPathExists=!/etc/kubernetes/kubelet.conf',
      'Before=kubelet.service',
      'After=network-online.target time-sync.target',
      'LoadCredential=join-token:/etc/kubejoin/join-token',
      'ExecStart=/usr/bin/kubejoin join --config /etc/kubejoin/join.yaml --token-file ${CREDENTIALS_DIRECTORY}/join-token --store file',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/kubelet /etc/kubernetes',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=',
      'WantedBy=multi-user.target',
    ]) {
      assert.ok(unit.includes(line), `kubejoin-join.service has "${line}"`);
    }
  });

  it('valid: both run /usr/bin/kubejoin, where the edge packages put the executable and the desktop deb its CLI launcher', async () => {
    for (const u of UNITS) assert.match(await unitText(u), /^ExecStart=\/usr\/bin\/kubejoin /m, u);
    assert.match(await readFile(`${ROOT}build/linux/after-install.sh`, 'utf8'), /ln -sf "\$RESOURCES\/bin\/kubejoin" \/usr\/bin\/kubejoin/);
    assert.match(await readFile(`${ROOT}build/packages/package.mjs`, 'utf8'), /dst: '\/usr\/bin\/kubejoin'/);
  });

  it('valid: systemd-analyze verify accepts both (where installed), apart from what is not installed here', async (t) => {
    const analyze = '/usr/bin/systemd-analyze';
    if (!(await stat(analyze).catch(() => undefined))) return t.skip('SKIP: systemd-analyze is not installed (apt-get install systemd)');
    for (const u of UNITS) {
      const out = await promisify(execFile)(analyze, ['verify', `${ROOT}build/packages/systemd/${u}`]).then(
        (r) => r.stderr,
        (e: { stderr: string }) => e.stderr,
      );
      // The binary and the man page come with a package (packages-contents.test.ts verifies
      // the installed units with both present, and no warning at all).
      const complaints = lines(out).filter(
        (l) => l.trim() !== '' && !/Command \/usr\/bin\/kubejoin is not executable|Command 'man kubejoin\(1\)' failed/.test(l),
      );
      assert.deepEqual(complaints, [], u);
    }
  });
});
