import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOIN_FLAGS } from '../../agent/cli/join-flags.js';
import { assertNoSecret, ensureBuilt, kubejoin, uniqueName } from '../helpers/cli.js';
import { strangerToken } from './hostile/join.js';

// A token given in the wrong place is never echoed: as the value of every join flag, as the
// endpoint, as a second endpoint, in text and JSON output. And durations a timer cannot hold
// are exit 2 with a clear message. No cluster: nothing here gets past validation or discovery.

before(ensureBuilt);

const PIN = `sha256:${'ab'.repeat(32)}`;
const valueFlags = Object.entries(JOIN_FLAGS)
  .filter(([, d]) => d.type === 'string')
  .map(([name]) => name);

describe('a token in the wrong place is never echoed', { concurrency: 4 }, () => {
  for (const flag of valueFlags) {
    for (const output of ['text', 'json']) {
      it(`invalid: a token as the value of --${flag} (${output})`, async () => {
        const token = strangerToken();
        const others = [
          '--node-name',
          uniqueName('secrets'),
          '--store',
          'file',
          '--cert-dir',
          join(tmpdir(), uniqueName('kj-no-such')),
          '--discovery-timeout',
          '1s',
        ].filter((_, i, a) => a[i - (i % 2)] !== `--${flag}`);
        const r = await kubejoin(
          [
            'join',
            '127.0.0.1:1',
            ...(output === 'json' && flag !== 'output' ? ['-o', 'json'] : []),
            ...others,
            `--${flag}`,
            token,
            '--discovery-token-ca-cert-hash',
            PIN,
          ],
          { timeoutMs: 30_000 },
        );
        assertNoSecret(r, token);
        assert.notEqual(r.code, 0);
      });
    }
  }

  it('invalid: a token as the endpoint, and as a second endpoint', async () => {
    const token = strangerToken();
    for (const args of [
      ['join', token, '--token', strangerToken(), '--discovery-token-ca-cert-hash', PIN],
      ['join', '127.0.0.1:6443', token, '--discovery-token-ca-cert-hash', PIN],
    ]) {
      const r = await kubejoin(args);
      assertNoSecret(r, token);
      assert.equal(r.code, 2, r.stderr);
    }
  });
});

describe("a token inside a file is never echoed, not even by the YAML parser's warnings", () => {
  for (const [flag, text] of [
    ['--config', (t: string) => `%weird ${t}\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\nnodeRegistration:\n  name: !${t} x\n`],
    ['--discovery-file', (t: string) => `apiVersion: v1\nclusters:\n- cluster: !${t}\n    server: [${t}\n`],
  ] as const) {
    it(`invalid: ${flag} with a token in a directive, a tag and broken YAML`, async () => {
      const token = strangerToken();
      const file = join(tmpdir(), uniqueName('kj-yaml'));
      await writeFile(file, text(token));
      try {
        const r = await kubejoin([
          'join',
          '127.0.0.1:1',
          '--token',
          strangerToken(),
          '--discovery-token-ca-cert-hash',
          PIN,
          flag,
          file,
          '--discovery-timeout',
          '1s',
        ]);
        assertNoSecret(r, token);
        assert.notEqual(r.code, 0);
      } finally {
        await rm(file, { force: true });
      }
    });
  }
});

describe('durations a timer cannot hold', () => {
  for (const [flag, value, why] of [
    ['timeout', '600h', /longer than a timer can hold/],
    ['discovery-timeout', '600h', /longer than a timer can hold/],
    ['timeout', '1500us', /finer than the 1 ms/],
    ['discovery-timeout', '1ns', /finer than the 1 ms/],
  ] as const) {
    it(`invalid: --${flag} ${value} is exit 2, not an instant timeout`, async () => {
      const r = await kubejoin(['join', '127.0.0.1:1', '--token', strangerToken(), '--discovery-token-ca-cert-hash', PIN, `--${flag}`, value]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, why);
      assert.match(r.stderr, new RegExp(`--${flag} "${value}"`));
    });
  }
});
