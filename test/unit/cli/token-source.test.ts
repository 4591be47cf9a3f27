// One token source for every command that takes a token (join, doctor): precedence and messages.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROCESS_LIST_WARNING, resolveToken } from '../../../agent/cli/token-source.js';
import { UsageError } from '../../../agent/errors.js';
import { TOKEN } from '../../helpers/fixtures.js';
import { workdir } from '../../helpers/temp.js';

const OTHER = 'ghijkl.0123456789abcdef';
const ctx = (env: NodeJS.ProcessEnv = {}, stdin: string[] = []) => ({ env, stdin: Readable.from(stdin.map((s) => Buffer.from(s))) });

describe('resolveToken', () => {
  it('valid: --token wins over the fallback and KUBEJOIN_TOKEN, and warns about the process list', async () => {
    assert.deepEqual(await resolveToken({ token: TOKEN, fallback: OTHER }, ctx({ KUBEJOIN_TOKEN: OTHER })), { token: TOKEN, warnings: [PROCESS_LIST_WARNING] });
  });
  it('valid: --token-file, trimmed, wins over the fallback; no warning', async (t) => {
    const file = join(await workdir(t), 'token');
    await writeFile(file, `  ${TOKEN}\n`, { mode: 0o600 });
    assert.deepEqual(await resolveToken({ 'token-file': file, fallback: OTHER }, ctx()), { token: TOKEN, warnings: [] });
  });
  it(
    'valid, with a warning: a --token-file other users can read (the kiosk refuses it, by the same rule)',
    { skip: process.platform === 'win32' && 'no modes on Windows' },
    async (t) => {
      const dir = await workdir(t);
      for (const [mode, who] of [
        [0o644, 'other users can read it'],
        [0o660, 'its group can change it'],
      ] as const) {
        const file = join(dir, `token-${mode.toString(8)}`);
        await writeFile(file, `${TOKEN}\n`);
        await chmod(file, mode);
        const { warnings } = await resolveToken({ 'token-file': file }, ctx());
        assert.deepEqual(warnings, [
          `warning: permissions 0${mode.toString(8)} for --token-file ${file} are too open: ${who} (chmod 600 ${file}; the kiosk refuses such a file)`,
        ]);
      }
      const grouped = join(dir, 'token-640');
      await writeFile(grouped, `${TOKEN}\n`);
      await chmod(grouped, 0o640);
      assert.deepEqual((await resolveToken({ 'token-file': grouped }, ctx())).warnings, [], 'group read is allowed, as in the kiosk');
    },
  );
  it('valid: --token-file - reads stdin', async () => {
    assert.deepEqual(await resolveToken({ 'token-file': '-' }, ctx({}, [`${TOKEN}\n`])), { token: TOKEN, warnings: [] });
  });
  it('valid: the fallback (a --config token) before KUBEJOIN_TOKEN; KUBEJOIN_TOKEN last', async () => {
    assert.equal((await resolveToken({ fallback: OTHER }, ctx({ KUBEJOIN_TOKEN: TOKEN }))).token, OTHER);
    assert.deepEqual(await resolveToken({}, ctx({ KUBEJOIN_TOKEN: ` ${TOKEN} ` })), { token: TOKEN, warnings: [] });
    assert.deepEqual(await resolveToken({}, ctx()), { warnings: [] });
  });
  it('valid: another secret flag on the command line warns too (join --tls-bootstrap-token)', async () => {
    assert.deepEqual((await resolveToken({ otherSecretFlag: OTHER }, ctx())).warnings, [PROCESS_LIST_WARNING]);
  });
  const invalid: [string, () => Promise<unknown>, RegExp][] = [
    [
      'both --token and --token-file',
      () => resolveToken({ token: TOKEN, 'token-file': '/x' }, ctx()),
      /^give the token once: --token or --token-file, not both$/,
    ],
    [
      'a missing file',
      () => resolveToken({ 'token-file': '/nonexistent/token' }, ctx()),
      /^cannot read --token-file \/nonexistent\/token: no such file \(ENOENT\)$/,
    ],
    ['empty stdin', () => resolveToken({ 'token-file': '-' }, ctx({}, ['\n'])), /^--token-file \(stdin\) is empty$/],
    ['a file over 64 KiB', () => resolveToken({ 'token-file': '-' }, ctx({}, ['x'.repeat(70 * 1024)])), /larger than the limit of 64 KiB/],
  ];
  for (const [name, run, message] of invalid) {
    it(`invalid: ${name} is a usage error (exit 2)`, async () =>
      assert.rejects(run, (e: unknown) => e instanceof UsageError && e.exitCode === 2 && message.test(e.message)));
  }
});
