// kubejoin-approver.service: `cluster approve --watch` under systemd on a control-plane host,
// shipped (not enabled) by the deb/rpm packages (build/packages/systemd/).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const root = new URL('../../../', import.meta.url).pathname;
const path = `${root}build/packages/systemd/kubejoin-approver.service`;

describe('kubejoin-approver.service', () => {
  it('runs the approver with its own kubeconfig; restarts on failure except for an unusable kubeconfig (2)', async () => {
    const unit = await readFile(path, 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/kubejoin cluster approve --watch --kubeconfig \/etc\/kubejoin\/approver\.conf$/m);
    assert.match(unit, /^ConditionPathExists=\/etc\/kubejoin\/approver\.conf$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^RestartPreventExitStatus=2$/m);
    assert.match(unit, /^KillSignal=SIGTERM$/m);
    assert.match(unit, /^ProtectSystem=strict$/m);
  });

  it('is packaged, and not enabled by the package scripts (only a control-plane host runs it)', async () => {
    assert.match(
      await readFile(`${root}build/packages/package.mjs`, 'utf8'),
      /systemd\/kubejoin-approver\.service'\), dst: '\/usr\/lib\/systemd\/system\/kubejoin-approver\.service'/,
    );
    assert.doesNotMatch(await readFile(`${root}build/packages/scripts/postinstall.sh`, 'utf8'), /kubejoin-approver/);
  });

  it('passes systemd-analyze verify (where available) apart from the not-yet-installed binary and man page', async (t) => {
    const analyze = '/usr/bin/systemd-analyze';
    if (!(await stat(analyze).catch(() => undefined))) return t.skip('systemd-analyze is not installed');
    const out = await promisify(execFile)(analyze, ['verify', path]).then(
      (r) => r.stderr,
      (e: { stderr: string }) => e.stderr,
    );
    const complaints = out
      .split('\n')
      .filter((l) => l.trim() !== '' && !/Command \/usr\/bin\/kubejoin is not executable|Command 'man kubejoin\(1\)' failed/.test(l));
    assert.deepEqual(complaints, []);
  });
});
