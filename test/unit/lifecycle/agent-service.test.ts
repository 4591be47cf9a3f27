// kubejoin-agent.service: the rotation agent under systemd, one file (build/packages/systemd/)
// shipped by the deb/rpm packages and by the electron-builder deb (test/unit/build/systemd-units.test.ts).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const root = new URL('../../../', import.meta.url).pathname;

describe('kubejoin-agent.service', () => {
  it('runs kubejoin agent once joined, restarts on failure but not for "not joined" (10) or "expired" (11)', async () => {
    const unit = await readFile(`${root}build/packages/systemd/kubejoin-agent.service`, 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/kubejoin agent$/m);
    assert.match(unit, /^Type=simple$/m);
    assert.match(unit, /^ConditionPathExists=\/etc\/kubernetes\/kubelet\.conf$/m);
    assert.match(unit, /^After=network-online\.target kubejoin-join\.service$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^RestartPreventExitStatus=10 11$/m);
    assert.match(unit, /^KillSignal=SIGTERM$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
  });

  it("the electron-builder deb ships the packages' unit, and installs and enables it", async () => {
    assert.match(
      await readFile(`${root}electron-builder.yml`, 'utf8'),
      /- from: build\/packages\/systemd\/kubejoin-agent\.service\n\s+to: systemd\/kubejoin-agent\.service/,
    );
    const install = await readFile(`${root}build/linux/after-install.sh`, 'utf8');
    assert.match(install, /UNIT=kubejoin-agent\.service\ninstall -m 0644/);
    assert.match(await readFile(`${root}build/linux/after-remove.sh`, 'utf8'), /for UNIT in kubejoin-agent\.service kubejoin-join\.service/);
  });

  it('passes systemd-analyze verify (where available) apart from the not-yet-installed binary', async (t) => {
    const analyze = '/usr/bin/systemd-analyze';
    if (!(await stat(analyze).catch(() => undefined))) return t.skip('systemd-analyze is not installed');
    const out = await promisify(execFile)(analyze, ['verify', `${root}build/packages/systemd/kubejoin-agent.service`]).then(
      (r) => r.stderr,
      (e: { stderr: string }) => e.stderr,
    );
    const complaints = out.split('\n').filter((l) => l.trim() !== '' && !/Command \/usr\/bin\/kubejoin is not executable/.test(l));
    assert.deepEqual(complaints, []);
  });
});
