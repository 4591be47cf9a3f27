import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCacheDir, safeCompileCacheDir } from '../../../agent/cli/compile-cache.js';

// docs/architecture.md, "The CLI's compile cache": a cache is code run as the user, so it is
// kept only where this user (or root) alone can write; every other directory is refused, on a
// real file system here.
const uid = process.getuid?.() ?? -1;
const NOBODY = 65534;

describe('compile cache: where it would live', () => {
  it('valid: $XDG_CACHE_HOME when absolute, /var/cache for root, else ~/.cache', () => {
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/x/c' }, 1000, '/home/a'), '/x/c/kubejoin/compile-cache');
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/x/c' }, 0, '/root'), '/x/c/kubejoin/compile-cache');
    assert.equal(compileCacheDir({}, 0, '/root'), '/var/cache/kubejoin/compile-cache');
    assert.equal(compileCacheDir({}, 1000, '/home/a'), '/home/a/.cache/kubejoin/compile-cache');
  });

  it('invalid: a relative $XDG_CACHE_HOME is ignored; no home, no cache', () => {
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: 'rel' }, 1000, '/home/a'), '/home/a/.cache/kubejoin/compile-cache');
    assert.equal(compileCacheDir({}, 1000, ''), undefined);
    assert.equal(compileCacheDir({}, 1000, 'relative/home'), undefined);
  });
});

describe('compile cache: only a directory this user alone can write', { skip: uid < 0 ? 'no POSIX user ids on this platform' : false }, () => {
  let root = '';
  before(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'kj-cc-')));
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  const env = (name: string): Record<string, string> => ({ XDG_CACHE_HOME: join(root, name) });
  const cacheOf = (name: string): string => join(root, name, 'kubejoin', 'compile-cache');

  it('valid: created with mode 0700 and taken', () => {
    const got = safeCompileCacheDir(env('ok'), uid, '/nonexistent');
    assert.deepEqual(got, { dir: cacheOf('ok') });
    assert.equal(statSync(cacheOf('ok')).mode & 0o777, 0o700);
    assert.equal(statSync(join(root, 'ok', 'kubejoin')).mode & 0o777, 0o700);
  });

  it('invalid: mode 0777 is refused and left as it was', () => {
    mkdirSync(cacheOf('open'), { recursive: true });
    chmodSync(cacheOf('open'), 0o777);
    assert.deepEqual(safeCompileCacheDir(env('open'), uid, '/nonexistent'), { reason: `${cacheOf('open')} has mode 777` });
    assert.equal(statSync(cacheOf('open')).mode & 0o777, 0o777);
  });

  it('invalid: owned by another user (nobody) is refused', { skip: uid !== 0 ? 'chown to nobody needs root' : false }, () => {
    mkdirSync(cacheOf('theirs'), { recursive: true, mode: 0o700 });
    chownSync(cacheOf('theirs'), NOBODY, NOBODY);
    assert.deepEqual(safeCompileCacheDir(env('theirs'), uid, '/nonexistent'), { reason: `${cacheOf('theirs')} is owned by uid ${NOBODY}` });
  });

  it('invalid: below a directory others can write (not sticky) is refused', () => {
    mkdirSync(cacheOf('shared'), { recursive: true, mode: 0o700 });
    chmodSync(join(root, 'shared'), 0o777);
    assert.deepEqual(safeCompileCacheDir(env('shared'), uid, '/nonexistent'), { reason: `${join(root, 'shared')} is writable by others` });
  });

  it('invalid: below a directory owned by another user (nobody) is refused', { skip: uid !== 0 ? 'chown to nobody needs root' : false }, () => {
    mkdirSync(cacheOf('their-home'), { recursive: true, mode: 0o700 });
    chownSync(join(root, 'their-home'), NOBODY, NOBODY);
    assert.deepEqual(safeCompileCacheDir(env('their-home'), uid, '/nonexistent'), { reason: `${join(root, 'their-home')} is owned by uid ${NOBODY}` });
  });

  it(
    'invalid: nothing is created below a directory of another user (nobody), as root under sudo -E would',
    { skip: uid !== 0 ? 'chown to nobody needs root' : false },
    () => {
      mkdirSync(join(root, 'user-home', '.cache'), { recursive: true, mode: 0o700 });
      chownSync(join(root, 'user-home', '.cache'), NOBODY, NOBODY);
      const got = safeCompileCacheDir({ XDG_CACHE_HOME: join(root, 'user-home', '.cache') }, uid, '/nonexistent');
      assert.deepEqual(got, { reason: `${join(root, 'user-home', '.cache')} is owned by uid ${NOBODY}` });
      assert.deepEqual(readdirSync(join(root, 'user-home', '.cache')), []);
    },
  );

  it('invalid: a link in place of the directory is checked where it leads', () => {
    mkdirSync(join(root, 'elsewhere'), { mode: 0o777 });
    chmodSync(join(root, 'elsewhere'), 0o777);
    mkdirSync(join(root, 'linked', 'kubejoin'), { recursive: true, mode: 0o700 });
    symlinkSync(join(root, 'elsewhere'), cacheOf('linked'));
    assert.deepEqual(safeCompileCacheDir(env('linked'), uid, '/nonexistent'), { reason: `${join(root, 'elsewhere')} has mode 777` });
  });

  it('invalid: a directory that cannot be created means no cache, no error', () => {
    writeFileSync(join(root, 'file'), 'not a directory');
    assert.deepEqual(safeCompileCacheDir(env('file'), uid, '/nonexistent'), { reason: 'ENOTDIR' });
  });

  it('invalid: KUBEJOIN_NO_COMPILE_CACHE=1 or NODE_DISABLE_COMPILE_CACHE: nothing is created', () => {
    assert.deepEqual(safeCompileCacheDir({ ...env('off1'), KUBEJOIN_NO_COMPILE_CACHE: '1' }, uid, '/nonexistent'), { reason: 'KUBEJOIN_NO_COMPILE_CACHE' });
    assert.deepEqual(safeCompileCacheDir({ ...env('off2'), NODE_DISABLE_COMPILE_CACHE: '1' }, uid, '/nonexistent'), { reason: 'NODE_DISABLE_COMPILE_CACHE' });
    // Node turns its cache off when the variable is set at all.
    assert.deepEqual(safeCompileCacheDir({ ...env('off2'), NODE_DISABLE_COMPILE_CACHE: '' }, uid, '/nonexistent'), { reason: 'NODE_DISABLE_COMPILE_CACHE' });
    assert.equal(existsSync(join(root, 'off1')) || existsSync(join(root, 'off2')), false, readdirSync(root).join(' '));
  });
});
