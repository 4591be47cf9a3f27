// The one read of kubelet-client-current.pem (docs/stores.md §1, §7), on a real file system:
// the kubelet's layout is accepted, every other link is refused in words, and a pipe is
// refused without blocking.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { KubejoinError } from '../../../agent/errors.js';
import { readCredentialFile } from '../../../agent/store/read-credential.js';

async function certDir(t: TestContext): Promise<{ root: string; pki: string; current: string }> {
  const root = await mkdtemp(join(tmpdir(), 'kj-read-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const pki = join(root, 'pki');
  await mkdir(pki, { mode: 0o700 });
  return { root, pki, current: join(pki, 'kubelet-client-current.pem') };
}

const PAIR = 'CERT AND KEY\n';

async function refused(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readCredentialFile(path), (err: unknown) => {
    assert.ok(err instanceof KubejoinError, String(err));
    assert.equal(err.category, 'store-failed');
    assert.match(err.message, pattern);
    assert.match(err.message, /kubejoin reads the credential only from a regular file in /);
    return true;
  });
}

describe('readCredentialFile', () => {
  it('valid: missing: undefined', async (t) => {
    const { current } = await certDir(t);
    assert.equal(await readCredentialFile(current), undefined);
  });

  it('valid: a regular file (after a join)', async (t) => {
    const { current } = await certDir(t);
    await writeFile(current, PAIR, { mode: 0o600 });
    assert.equal(await readCredentialFile(current), PAIR);
  });

  for (const [name, target] of [
    ['relative', 'kubelet-client-2026-12-01-22-00-00.pem'],
    ['absolute', undefined],
    ['through ../pki', '../pki/kubelet-client-2026-12-01-22-00-00.pem'],
  ] as const) {
    it(`valid: a ${name} symlink to a timestamped pem in the same directory (after a rotation)`, async (t) => {
      const { pki, current } = await certDir(t);
      const file = join(pki, 'kubelet-client-2026-12-01-22-00-00.pem');
      await writeFile(file, PAIR, { mode: 0o600 });
      await symlink(target ?? file, current);
      assert.equal(await readCredentialFile(current), PAIR);
    });
  }

  it('valid: the directory reached through a linked parent (e.g. /var/lib/kubelet moved to another disk)', async (t) => {
    const { root, pki } = await certDir(t);
    await symlink(root, join(root, 'alias'));
    const file = join(pki, 'kubelet-client-2026-12-01-22-00-00.pem');
    await writeFile(file, PAIR, { mode: 0o600 });
    await symlink(file, join(pki, 'kubelet-client-current.pem'));
    assert.equal(await readCredentialFile(join(root, 'alias', 'pki', 'kubelet-client-current.pem')), PAIR);
  });

  it('invalid: a symlink out of the directory', async (t) => {
    const { root, current } = await certDir(t);
    await writeFile(join(root, 'elsewhere.pem'), PAIR);
    await symlink(join(root, 'elsewhere.pem'), current);
    await refused(current, new RegExp(`is a symbolic link to ${join(root, 'elsewhere.pem')}, outside its directory`));
  });

  it('invalid: a symlink into a subdirectory', async (t) => {
    const { pki, current } = await certDir(t);
    await mkdir(join(pki, 'sub'));
    await writeFile(join(pki, 'sub', 'x.pem'), PAIR);
    await symlink('sub/x.pem', current);
    await refused(current, /is a symbolic link to sub\/x\.pem, outside its directory/);
  });

  it('invalid: a symlink to a symlink, even inside the directory', async (t) => {
    const { pki, current } = await certDir(t);
    await writeFile(join(pki, 'real.pem'), PAIR);
    await symlink('real.pem', join(pki, 'hop.pem'));
    await symlink('hop.pem', current);
    await refused(current, /is a symbolic link to hop\.pem, which is a symbolic link/);
  });

  it('invalid: a symlink to a directory, a dangling one, a device', async (t) => {
    const { pki, current } = await certDir(t);
    await mkdir(join(pki, 'adir'));
    await symlink('adir', current);
    await refused(current, /which is a directory/);
    await rm(current);
    await symlink('gone.pem', current);
    await refused(current, /to gone\.pem, which does not exist/);
    await rm(current);
    await symlink('/dev/null', current);
    await refused(current, /outside its directory/);
  });

  it('invalid: a named pipe in its place is refused without blocking', { skip: process.platform === 'win32' ? 'no mkfifo on Windows' : false }, async (t) => {
    const { pki, current } = await certDir(t);
    execFileSync('mkfifo', [join(pki, 'fifo.pem')]);
    await symlink('fifo.pem', current);
    await refused(current, /which is a named pipe/);
    await rm(current);
    execFileSync('mkfifo', [current]);
    await refused(current, /kubelet-client-current\.pem is a named pipe/);
  });
});
