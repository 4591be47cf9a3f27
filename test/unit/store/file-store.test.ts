// The file store's safety rules on a real file system (docs/stores.md §1): symlinks not
// followed, only our temporaries swept, cleanup never removes a directory, a journal
// finished by the next run and never turned into a rename of anything else.
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { KubejoinError } from '../../../agent/errors.js';
import { FileStore, JOURNAL, PENDING_KEY } from '../../../agent/store/file.js';
import { TMP_PREFIX } from '../../../agent/store/fs-atomic.js';
import { LOCK_FILE } from '../../../agent/store/lock.js';

async function dir(t: TestContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kj-store-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

const store = (d: string, certDir = join(d, 'pki')): FileStore =>
  FileStore.forTarget({ nodeName: 'n', server: 'https://x', certDir, kubeconfigOut: join(d, 'kubelet.conf'), env: {} }, 'test');

/** A file store holding its run lock (docs/stores.md §8) until the test ends. */
async function locked(t: TestContext, d: string, certDir?: string): Promise<FileStore> {
  const s = store(d, certDir);
  t.after(await s.lock({ waitMs: 0 }));
  return s;
}

/** A directory's entries, without the run lock the test holds. */
const ls = async (path: string): Promise<string[]> => (await readdir(path)).filter((f) => f !== LOCK_FILE).sort();

async function fails(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof KubejoinError && err.category === 'store-failed' && pattern.test(err.message));
}

describe('file store: symlinks, sweeping, cleanup, journal', () => {
  it('invalid: a certDir that is a symlink is refused (exit 7), nothing written through it', async (t) => {
    const d = await dir(t);
    const elsewhere = join(d, 'elsewhere');
    await mkdir(elsewhere);
    await symlink(elsewhere, join(d, 'pki'));
    await fails(store(d).lock(), /pki: it is a symbolic link, which kubejoin does not follow there \(ELOOP\)/);
    assert.deepEqual(await readdir(elsewhere), []);
  });

  it('invalid: a pending key that is a symlink is not read through (ELOOP)', async (t) => {
    const d = await dir(t);
    await mkdir(join(d, 'pki'), { mode: 0o700 });
    await writeFile(join(d, 'secret'), 'NOT A KEY');
    await symlink(join(d, 'secret'), join(d, 'pki', PENDING_KEY));
    await fails((await locked(t, d)).loadPendingKey(), /kubelet-client\.key\.tmp: it is a symbolic link/);
  });

  it('valid: chmod of certDir goes through a descriptor: the directory becomes 0700, a symlinked target never changes', async (t) => {
    const d = await dir(t);
    await mkdir(join(d, 'pki'), { mode: 0o755 });
    await chmod(join(d, 'pki'), 0o755);
    const s = await locked(t, d);
    await s.savePendingKey('-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n');
    const cert = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';
    await s.save(cert, '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n', { server: 'https://x', caPem: cert });
    assert.equal((await stat(join(d, 'pki'))).mode & 0o777, 0o700);
    assert.equal((await stat(join(d, 'pki', 'kubelet-client-current.pem'))).mode & 0o777, 0o600);
    assert.deepEqual(await ls(join(d, 'pki')), ['kubelet-client-current.pem'], 'pending key, journal and temporaries gone');
  });

  it('valid: a kubeconfig path that is a symlink is replaced, not written through', async (t) => {
    const d = await dir(t);
    await writeFile(join(d, 'target'), 'UNTOUCHED');
    await symlink(join(d, 'target'), join(d, 'kubelet.conf'));
    const cert = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';
    await (await locked(t, d)).save(cert, '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n', { server: 'https://x', caPem: cert });
    assert.equal(await readFile(join(d, 'target'), 'utf8'), 'UNTOUCHED');
    assert.ok((await lstat(join(d, 'kubelet.conf'))).isFile());
  });

  it('valid: at start only our temporaries are swept; other files and directories stay', async (t) => {
    const d = await dir(t);
    await mkdir(join(d, 'pki'));
    for (const f of [`${TMP_PREFIX}kubelet-client-current.pem.abc`, `${TMP_PREFIX}kubelet.conf.def`, '.other.tmp', 'notes'])
      await writeFile(join(d, 'pki', f), 'x');
    await mkdir(join(d, 'pki', `${TMP_PREFIX}dir`));
    await writeFile(join(d, `${TMP_PREFIX}kubelet.conf.123`), 'x');
    assert.equal(await (await locked(t, d)).loadPendingKey(), undefined);
    assert.deepEqual(await ls(join(d, 'pki')), ['.kubejoin-tmp.dir', '.other.tmp', 'notes']);
    assert.ok(!(await readdir(d)).some((f) => f.startsWith(TMP_PREFIX)));
  });

  it('valid: discardPending removes the pending key and nothing else, never a directory it created', async (t) => {
    const d = await dir(t);
    const deep = join(d, 'a', 'b', 'pki');
    const s = await locked(t, d, deep);
    await s.savePendingKey('KEY');
    await writeFile(join(d, 'a', 'other-program-file'), 'keep me');
    await s.discardPending();
    assert.deepEqual(await ls(deep), []);
    assert.equal(await readFile(join(d, 'a', 'other-program-file'), 'utf8'), 'keep me');
  });

  it('valid: a journal left by a killed commit is finished; entries that are not ours or not our targets are ignored', async (t) => {
    const d = await dir(t);
    await mkdir(join(d, 'pki'));
    const pem = join(d, 'pki', 'kubelet-client-current.pem');
    const tmp = join(d, 'pki', `${TMP_PREFIX}kubelet-client-current.pem.aaa`);
    await writeFile(tmp, 'NEW PAIR');
    await writeFile(join(d, 'victim'), 'VICTIM');
    await writeFile(
      join(d, 'pki', JOURNAL),
      JSON.stringify([
        { tmp, path: pem },
        { tmp: join(d, 'victim'), path: join(d, 'kubelet.conf') },
        { tmp: join(d, 'pki', `${TMP_PREFIX}x`), path: join(d, 'elsewhere') },
      ]),
    );
    await (await locked(t, d)).loadPendingKey();
    assert.equal(await readFile(pem, 'utf8'), 'NEW PAIR');
    assert.equal(await readFile(join(d, 'victim'), 'utf8'), 'VICTIM', 'not renamed: not one of our temporaries');
    assert.deepEqual(await ls(join(d, 'pki')), ['kubelet-client-current.pem']);
  });

  it('invalid: used without its run lock, the store refuses before it sweeps anything', async (t) => {
    const d = await dir(t);
    await mkdir(join(d, 'pki'));
    await writeFile(join(d, 'pki', `${TMP_PREFIX}kubelet-client-current.pem.live`), 'another run is staging this');
    await assert.rejects(
      store(d).loadPendingKey(),
      (err: unknown) => err instanceof KubejoinError && err.category === 'internal' && /without its run lock/.test(err.message),
    );
    assert.deepEqual(await ls(join(d, 'pki')), [`${TMP_PREFIX}kubelet-client-current.pem.live`]);
  });

  it('invalid: a staged file removed before the commit: exit 7, nothing replaced, the pending key kept', async (t) => {
    const d = await dir(t);
    const key = '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n';
    const cert = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';
    const s = await locked(t, d);
    await s.save(cert, key, { server: 'https://x', caPem: cert });
    const before = [await readFile(join(d, 'pki', 'kubelet-client-current.pem')), await readFile(join(d, 'kubelet.conf'))];
    await s.savePendingKey('PENDING');
    const staged = await s.stage(cert.replace('BBBB', 'CCCC'), key, { server: 'https://y', caPem: cert });
    const tmp = (await ls(join(d, 'pki'))).find((f) => f.startsWith(`${TMP_PREFIX}kubelet-client-current.pem.`))!;
    await rm(join(d, 'pki', tmp));
    await fails(
      staged.commit(),
      /the staged copy of .*kubelet-client-current\.pem .* was removed by another program before it was put in place; nothing was replaced/,
    );
    assert.deepEqual([await readFile(join(d, 'pki', 'kubelet-client-current.pem')), await readFile(join(d, 'kubelet.conf'))], before, 'byte-identical');
    assert.equal(await readFile(join(d, 'pki', PENDING_KEY), 'utf8'), 'PENDING');
    assert.deepEqual(await ls(join(d, 'pki')), ['kubelet-client-current.pem', PENDING_KEY], 'no journal, no temporary');
    assert.ok(!(await readdir(d)).some((f) => f.startsWith(TMP_PREFIX)), 'the staged kubeconfig is removed');
  });

  it("invalid: staging fails at the kubeconfig: exit 7 naming it; the pair's and the journal's temporaries, written at the same time, are removed", async (t) => {
    const d = await dir(t);
    const key = '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n';
    const cert = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';
    // A name the file system takes, but not with our temporary's prefix and suffix added.
    const kubeconfigOut = join(d, 'conf', 'k'.repeat(240));
    const s = FileStore.forTarget({ nodeName: 'n', server: 'https://x', certDir: join(d, 'pki'), kubeconfigOut, env: {} }, 'test');
    t.after(await s.lock({ waitMs: 0 }));
    await s.savePendingKey(key);
    await fails(s.stage(cert, key, { server: 'https://x', caPem: cert }), new RegExp(`cannot write ${kubeconfigOut}: the name is too long \\(ENAMETOOLONG\\)`));
    assert.deepEqual(await ls(join(d, 'pki')), [PENDING_KEY], 'no temporary, no journal; the pending key kept');
    assert.deepEqual(await ls(join(d, 'conf')), []);
  });

  it('valid: a staged credential never committed (the run killed) leaves only temporaries: the next run sweeps them, the previous pair stays', async (t) => {
    const d = await dir(t);
    const key = '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n';
    const cert = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';
    const first = store(d);
    const release = await first.lock({ waitMs: 0 });
    await first.save(cert, key, { server: 'https://x', caPem: cert });
    const before = [await readFile(join(d, 'pki', 'kubelet-client-current.pem')), await readFile(join(d, 'kubelet.conf'))];
    await first.stage(cert.replace('BBBB', 'CCCC'), key, { server: 'https://y', caPem: cert });
    const staged = (await ls(join(d, 'pki'))).filter((f) => f.startsWith(TMP_PREFIX));
    assert.equal(staged.length, 2, `the pair and the journal, both temporaries: ${staged.join(', ')}`);
    assert.ok(!(await ls(join(d, 'pki'))).includes(JOURNAL), 'the journal is not in effect before the commit');
    await release();
    assert.equal(await (await locked(t, d)).loadPendingKey(), undefined);
    assert.deepEqual([await readFile(join(d, 'pki', 'kubelet-client-current.pem')), await readFile(join(d, 'kubelet.conf'))], before, 'byte-identical');
    assert.deepEqual(await ls(join(d, 'pki')), ['kubelet-client-current.pem']);
    assert.ok(!(await readdir(d)).some((f) => f.startsWith(TMP_PREFIX)));
  });
});
