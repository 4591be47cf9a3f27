import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoSecret, ensureBuilt, kubejoin, writeTokenFile } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';
import { PIN, TOKEN } from '../helpers/fixtures.js';

// The built CLI's input: a JoinConfiguration read with kubeadm's booleans, and one token
// source for join and doctor, with the same messages. Nothing here reaches a server: each
// case ends in validation (exit 2) or at 127.0.0.1:1, which refuses.

before(ensureBuilt);

const config = (skip: string, extra = ''): string => `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 127.0.0.1:1
    unsafeSkipCAVerification: ${skip}
${extra}`;

describe('join --config: unsafeSkipCAVerification as kubeadm reads it', () => {
  for (const skip of ['no', 'off', 'false']) {
    it(`invalid: ${skip} without caCertHashes does not join without a pin (exit 2, no traffic)`, async (t) => {
      const dir = await workdir(t);
      await writeFile(join(dir, 'join.yaml'), config(skip));
      const r = await kubejoin(['join', '--config', join(dir, 'join.yaml'), '--token-file', await writeTokenFile(dir, TOKEN)]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /no CA cert hash given/);
      assert.doesNotMatch(r.stdout + r.stderr, /\[discover\]/, 'discovery never started');
      assertNoSecret(r, TOKEN);
    });
  }
  for (const skip of ['"false"', 'nO', 'disabled']) {
    it(`invalid: ${skip} is exit 2 naming the field and the value`, async (t) => {
      const dir = await workdir(t);
      await writeFile(join(dir, 'join.yaml'), config(skip));
      const r = await kubejoin(['join', '--config', join(dir, 'join.yaml'), '--token-file', await writeTokenFile(dir, TOKEN)]);
      assert.equal(r.code, 2, r.stderr);
      const shown = skip.replace(/"/g, '');
      assert.match(r.stderr, new RegExp(`join\\.yaml: unsafeSkipCAVerification \\(in discovery\\.bootstrapToken\\) "${shown}" is not a boolean`));
    });
  }
  it('valid: an unknown field is named on stderr, and the join goes on', async (t) => {
    const dir = await workdir(t);
    await writeFile(join(dir, 'join.yaml'), config('false', '    caCertHashes: ["' + PIN + '"]\n    caCertHash: oops\n'));
    const r = await kubejoin(['join', '--config', join(dir, 'join.yaml'), '--token-file', await writeTokenFile(dir, TOKEN), '--timeout', '2s']);
    assert.match(r.stderr, /warning: .*join\.yaml: unknown field\(s\) discovery\.bootstrapToken\.caCertHash \(not in kubeadm\.k8s\.io\/v1beta4/);
    assert.notEqual(r.code, 2, 'the input was valid');
  });
});

describe('one token source for join and doctor', () => {
  for (const command of [
    ['join', '127.0.0.1:1', '--discovery-token-ca-cert-hash', PIN],
    ['doctor', '127.0.0.1:1'],
  ]) {
    it(`invalid: ${command[0]} --token and --token-file together`, async (t) => {
      const dir = await workdir(t);
      const r = await kubejoin([...command, '--token', TOKEN, '--token-file', await writeTokenFile(dir, TOKEN)]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /give the token once: --token or --token-file, not both/);
      assertNoSecret(r, TOKEN);
    });
    it(`invalid: ${command[0]} --token-file that is empty`, async (t) => {
      const dir = await workdir(t);
      const file = join(dir, 'empty');
      await writeFile(file, '\n');
      const r = await kubejoin([...command, '--token-file', file]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`--token-file ${file} is empty`));
    });
    it(`valid: ${command[0]} --token warns about the process list`, async () => {
      const r = await kubejoin([...command, '--token', TOKEN, '--timeout', '1s']);
      assert.match(r.stderr, /warning: a token given with --token is visible to other users in the process list/);
      assertNoSecret(r, TOKEN);
    });
  }
});
