import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, CLI_NODE, cliEnv, ensureBuilt, kubejoin, run } from '../helpers/cli.js';

// docs/architecture.md, "The CLI's compile cache": the built CLI keeps Node's compile cache only
// in a directory this user alone can write, on the runtimes that have one (Node >= 22.1; on
// Node 20 nothing is created), and runs without one, silently, everywhere else. Run on the
// Node 24 runtime too (KUBEJOIN_TEST_NODE) for the cache itself.
const NOBODY = 65534;
const root = realpathSync(mkdtempSync(join(tmpdir(), 'kj-cc-cli-')));
const cacheOf = (name: string): string => join(root, name, 'kubejoin', 'compile-cache');
let hasCache = false;

before(async () => {
  await ensureBuilt();
  const r = await run(CLI_NODE, ['-p', "typeof require('node:module').enableCompileCache"]);
  hasCache = r.stdout.trim() === 'function';
});
after(() => rmSync(root, { recursive: true, force: true }));

/** The CLI's environment, with neither switch that turns the cache off. */
function cacheEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = cliEnv(extra);
  delete env.KUBEJOIN_NO_COMPILE_CACHE;
  delete env.NODE_DISABLE_COMPILE_CACHE;
  return env;
}

/** `kubejoin --version` with the cache under `$XDG_CACHE_HOME=<root>/<name>`; it must work either way. */
async function versionWith(name: string): Promise<void> {
  const r = await kubejoin(['--version'], { env: cacheEnv({ XDG_CACHE_HOME: join(root, name) }) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^kubejoin \d+\.\d+\.\d+\n$/);
  assert.equal(r.stderr, '');
}

/** The files under `dir`, recursively (what the cache wrote there). */
const filesIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : []);

describe('the CLI and its compile cache', { skip: process.getuid === undefined ? 'no POSIX user ids on this platform' : false }, () => {
  it('valid: a directory of its own (0700) holds the cache on a runtime that has one; Node 20 creates nothing', async () => {
    await versionWith('ok');
    if (!hasCache) {
      assert.equal(existsSync(join(root, 'ok')), false, `Node ${process.versions.node}: nothing created`);
      return;
    }
    const entries = filesIn(cacheOf('ok'));
    assert.ok(entries.length >= 2, `cache written: ${entries.join(' ')}`);
    await versionWith('ok');
    assert.ok(filesIn(cacheOf('ok')).length >= entries.length);
  });

  it('invalid: mode 0777 is not used', async () => {
    mkdirSync(cacheOf('open'), { recursive: true });
    chmodSync(cacheOf('open'), 0o777);
    await versionWith('open');
    assert.deepEqual(filesIn(cacheOf('open')), []);
  });

  it('invalid: owned by another user (nobody) is not used', { skip: process.getuid?.() !== 0 ? 'chown to nobody needs root' : false }, async () => {
    mkdirSync(cacheOf('theirs'), { recursive: true, mode: 0o700 });
    chownSync(cacheOf('theirs'), NOBODY, NOBODY);
    await versionWith('theirs');
    assert.deepEqual(filesIn(cacheOf('theirs')), []);
  });

  it('invalid: KUBEJOIN_NO_COMPILE_CACHE=1 creates nothing', async () => {
    const r = await kubejoin(['--version'], { env: cliEnv({ XDG_CACHE_HOME: join(root, 'off'), KUBEJOIN_NO_COMPILE_CACHE: '1' }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(root, 'off')), false);
  });

  it(
    'invalid: a read-only HOME (another user, nobody): the CLI runs, without a cache',
    { skip: process.getuid?.() !== 0 ? 'running as nobody needs root' : false },
    async () => {
      const home = join(root, 'readonly-home');
      mkdirSync(home, { mode: 0o555 });
      chmodSync(root, 0o755);
      const env = cacheEnv({ HOME: home });
      delete env.XDG_CACHE_HOME;
      const r = await run('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', CLI_NODE, CLI, 'join', '--help'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: kubejoin join/);
      assert.equal(r.stderr, '');
      assert.deepEqual(readdirSync(home), []);
    },
  );
});
