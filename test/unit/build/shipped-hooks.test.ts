// What ships has no test hooks (docs/architecture.md, "Test hooks"): no KUBEJOIN_TEST_*
// variable the sources read is in the product bundles (dist/ of `npm run build`) or in the
// packaged executables (dist/packages/ of `npm run package`), and the test build
// (test/out/dist-test/, `node build/bundle.mjs --test-hooks`) has every one of them, so that
// this check cannot pass because the names were spelled differently.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { CLI, ROOT, TEST_CLI, TEST_HOOKS, ensureBuilt, run } from '../../helpers/cli.js';
import { TEST_BUILD } from '../../helpers/paths.js';
import { filesUnder, workdir } from '../../helpers/temp.js';

/** The build-time switch (build/test-hooks.mjs): replaced by a constant in every build. */
const SWITCH = 'KUBEJOIN_TEST_HOOKS';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const EXECUTABLES = ['x64', 'arm64'].map((arch) => join(ROOT, 'dist/packages', `kubejoin-${VERSION}-linux-${arch}`));

/** Every KUBEJOIN_TEST_* name the TypeScript sources of agent/ and main/ mention, the switch left out. */
async function hookNamesInSources(): Promise<string[]> {
  const names = new Set<string>();
  for (const dir of ['agent', 'main']) {
    for (const file of await filesUnder(join(ROOT, dir))) {
      if (!file.endsWith('.ts')) continue;
      for (const m of readFileSync(join(ROOT, dir, file), 'utf8').matchAll(/KUBEJOIN_TEST_[A-Z0-9_]+/g)) names.add(m[0]);
    }
  }
  names.delete(SWITCH);
  return [...names].sort();
}

/** The bundles of a build directory: every .mjs, .cjs and .js file, dist/packages left out. */
async function bundles(dir: string): Promise<string[]> {
  const files = (await filesUnder(dir)).filter((f) => /\.(mjs|cjs|js)$/.test(f) && !f.startsWith('packages/'));
  assert.ok(files.length > 0, `no bundles under ${dir}`);
  return files.map((f) => join(dir, f));
}

/** Which of `names` occur in which of `files` ("file: NAME" each). */
function occurrences(files: string[], names: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const name of names) if (bytes.includes(name)) found.push(`${file.slice(ROOT.length)}: ${name}`);
  }
  return found;
}

describe('test hooks: compiled out of what ships, kept in the test build', () => {
  let hooks: string[];
  before(async () => {
    await ensureBuilt();
    hooks = await hookNamesInSources();
  });

  it('valid: the sources have hooks, and test/helpers/cli.ts knows each (it runs the test build for them)', () => {
    assert.ok(hooks.length >= 3, `hooks found: ${hooks.join(', ')}`);
    assert.deepEqual([...TEST_HOOKS].sort(), hooks);
  });

  it('valid: the test build has every hook (so the checks below are not vacuous), the switch replaced', async () => {
    const files = await bundles(TEST_BUILD);
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const name of hooks) assert.ok(text.includes(name), `${name} is not in the test build (${TEST_BUILD.slice(ROOT.length)})`);
    assert.ok(!text.includes(SWITCH), `${SWITCH} is left in the test build: a build without the define`);
  });

  it('valid: no hook, and not the switch, in dist/ (npm run build)', async () => {
    const found = occurrences(await bundles(join(ROOT, 'dist')), [...hooks, SWITCH]);
    assert.deepEqual(found, [], 'test hooks in the product bundles (rebuild with "npm run build" if dist/ is older than this check)');
  });

  it('valid: no hook, and not the switch, in the packaged executables (npm run package)', (t) => {
    const missing = EXECUTABLES.filter((f) => !existsSync(f));
    if (missing.length > 0) {
      const reason = `${missing.map((f) => f.slice(ROOT.length)).join(', ')} not built: run "npm run package" first`;
      assert.notEqual(process.env.CI, 'true', `CI=true: npm run package must run before npm test (${reason})`);
      t.diagnostic(`SKIP the packaged executables: ${reason}`);
      return t.skip(reason);
    }
    assert.deepEqual(occurrences(EXECUTABLES, [...hooks, SWITCH]), []);
  });

  it('valid: "kubejoin agent --help" lists the clock hook only in the test build', async () => {
    const product = await run(process.execPath, [CLI, 'agent', '--help']);
    const test = await run(process.execPath, [TEST_CLI, 'agent', '--help']);
    assert.equal(product.code, 0, product.stderr);
    assert.equal(test.code, 0, test.stderr);
    assert.doesNotMatch(product.stdout, /KUBEJOIN_TEST/);
    assert.match(test.stdout, /^Environment:\n(?: {2}.*\n)* {2}KUBEJOIN_TEST_CLOCK_SCALE +TEST ONLY/m);
  });

  it('valid: the product ignores a hook variable that the test build obeys (KUBEJOIN_TEST_CLOCK_SCALE=fast)', async (t) => {
    const dir = await workdir(t);
    const args = ['agent', '--kubeconfig', join(dir, 'kubelet.conf')];
    const env = { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: dir, XDG_DATA_HOME: dir, NO_COLOR: '1', KUBEJOIN_TEST_CLOCK_SCALE: 'fast' };
    const product = await run(process.execPath, [CLI, ...args], { env });
    assert.equal(product.code, 10, `not joined: ${product.stdout}${product.stderr}`);
    assert.doesNotMatch(product.stdout + product.stderr, /KUBEJOIN_TEST|TEST CLOCK/);
    const test = await run(process.execPath, [TEST_CLI, ...args], { env });
    assert.notEqual(test.code, 0);
    assert.match(test.stderr, /KUBEJOIN_TEST_CLOCK_SCALE must be a number > 0, not "fast"/);
  });
});
