// Provisioning and token files open to other users are refused, with the mode, like ssh.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { tooOpen } from '../../../main/file-mode.js';
import { loadProvision } from '../../../main/provision.js';

const TOKEN = 'abcdef.0123456789abcdef';
const PIN = `sha256:${'c'.repeat(64)}`;

async function dir(t: TestContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kj-mode-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function files(t: TestContext, provisionMode: number, tokenMode: number): Promise<string> {
  const d = await dir(t);
  await writeFile(join(d, 'token'), `${TOKEN}\n`);
  await chmod(join(d, 'token'), tokenMode);
  await writeFile(join(d, 'provision.yaml'), `endpoint: 10.0.0.1:6443\ntokenFile: token\ncaCertHashes: [${PIN}]\n`);
  await chmod(join(d, 'provision.yaml'), provisionMode);
  return d;
}

describe('file modes of provisioning and token files', () => {
  for (const [mode, words] of [
    [0o644, 'other users can read it'],
    [0o604, 'other users can read it'],
    [0o602, 'other users can change it'],
    [0o660, 'its group can change it'],
  ] as const) {
    it(`invalid: a provisioning file with mode ${mode.toString(8)} is refused with the mode and the path`, async (t) => {
      const d = await files(t, mode, 0o600);
      const r = await loadProvision(join(d, 'provision.yaml'));
      assert.deepEqual(r, {
        ok: false,
        missing: false,
        problems: [
          `permissions 0${mode.toString(8)} for '${join(d, 'provision.yaml')}' are too open: ${words}, and it holds or leads to a bootstrap token (chmod 640 with group kubejoin, or 600)`,
        ],
      });
    });
  }

  it('invalid: a token file readable by others is refused (and its token is never quoted)', async (t) => {
    const d = await files(t, 0o600, 0o644);
    const r = await loadProvision(join(d, 'provision.yaml'));
    assert.equal(r.ok, false);
    const problems = r.ok ? [] : r.problems;
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, new RegExp(`provision\\.yaml:2: permissions 0644 for '${join(d, 'token')}' are too open: other users can read it`));
    assert.ok(!problems[0]!.includes('0123456789abcdef'));
  });

  for (const [p, tk] of [
    [0o600, 0o600],
    [0o640, 0o640],
    [0o400, 0o440],
  ] as const) {
    it(`valid: provisioning ${p.toString(8)}, token ${tk.toString(8)} (owner, or group read only)`, async (t) => {
      const d = await files(t, p, tk);
      const r = await loadProvision(join(d, 'provision.yaml'));
      assert.equal(r.ok && r.provision.request.token, TOKEN);
    });
  }

  it('valid: Windows has no POSIX modes to check; a file that cannot be stat-ed is left to the reader', async () => {
    assert.equal(await tooOpen('C:\\ProgramData\\kubejoin\\provision.yaml', 'win32', async () => 0o100666), undefined);
    assert.equal(await tooOpen('/nope', 'linux', async () => undefined), undefined);
  });
});
