import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, ensureBuilt, run } from '../helpers/cli.js';

// package.json's bin: after `npm ci && npm run build`, `npx kubejoin --help` works.
before(ensureBuilt);

it('valid: npx kubejoin --help runs the built CLI named in package.json bin', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(join(ROOT, pkg.bin.kubejoin!), CLI);
  const r = await run('npx', ['--no-install', 'kubejoin', '--help'], { env: { ...process.env, npm_config_update_notifier: 'false' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^kubejoin \d+\.\d+\.\d+: join machines to Kubernetes clusters/);
  assert.match(r.stdout, /Exit codes:/);
});

it('valid: the bundle is one executable entry file with a shebang', () => {
  assert.match(readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
});
