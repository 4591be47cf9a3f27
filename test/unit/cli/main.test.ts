import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../../agent/cli/main.js';
import { VERSION } from '../../../agent/cli/version.js';
import { EXIT_CODES } from '../../../agent/contract/index.js';
import { ROOT } from '../../helpers/paths.js';

function ctx(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => out.push(d.toString()));
  stderr.on('data', (d: Buffer) => err.push(d.toString()));
  return { c: { stdout, stderr, stdin: new PassThrough(), env, signal: new AbortController().signal }, out: () => out.join(''), err: () => err.join('') };
}

describe('CLI basics', () => {
  it('version matches package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
  it('--help lists the commands and every exit code', async () => {
    const t = ctx();
    assert.equal(await runCli(['--help'], t.c), 0);
    for (const [, code] of Object.entries(EXIT_CODES)) assert.match(t.out(), new RegExp(`^  ${String(code).padStart(2)}  `, 'm'));
    assert.match(t.out(), /join +Join this machine/);
  });
  it('invalid: unknown command is exit 2', async () => {
    const t = ctx();
    assert.equal(await runCli(['jion'], t.c), 2);
    assert.match(t.err(), /unknown command "jion"/);
  });
  it('join --help documents the flags and exit codes', async () => {
    const t = ctx();
    assert.equal(await runCli(['join', '--help'], t.c), 0);
    for (const flag of ['--token-file', '--discovery-token-ca-cert-hash', '--store', '--config', '--output']) assert.ok(t.out().includes(flag), flag);
    assert.match(t.out(), /Exit codes:/);
  });
  const bad: [string, string[], RegExp][] = [
    ['malformed token', ['join', 'h:6443', '--token', 'abc.def', '--discovery-token-ca-cert-hash', `sha256:${'a'.repeat(64)}`], /token is malformed/],
    ['unknown flag', ['join', 'h:6443', '--tokn', 'x'], /unknown flag --tokn/],
    ['bad duration', ['join', 'h:6443', '--timeout', 'soon'], /--timeout "soon" is not a duration: use e.g. 30s, 5m or 1h30m/],
    ['two endpoints', ['join', 'a:1', 'b:2'], /expected one API server endpoint/],
  ];
  for (const [name, argv, pattern] of bad) {
    it(`invalid: ${name} is exit 2 with a clear message`, async () => {
      const t = ctx();
      assert.equal(await runCli(argv, t.c), EXIT_CODES['invalid-input']);
      assert.match(t.err(), pattern);
      assert.ok(!t.err().includes('0123456789'), 'no secret echoed');
    });
  }
});
