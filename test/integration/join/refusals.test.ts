import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { ClusterHandle } from '../../harness/index.js';
import { assertNoSecret, fileStoreFlags, kubejoin, spawnKubejoin, uniqueName, tokenJoinArgs, writeTokenFile } from '../../helpers/cli.js';
import { eventually } from '../../helpers/poll.js';
import { filesUnder, workdir } from '../../helpers/temp.js';
import { MANUAL_GROUP, csrsOf, joinTestCluster } from './setup.js';

// `kubejoin join` against the real control plane when it must fail: bad input, an
// untrusted cluster, a refused token, no answer, a denied CSR; each with its exit code.

let cluster: ClusterHandle;
before(async () => {
  cluster = await joinTestCluster();
});

describe('kubejoin join against the real control plane: refusals', () => {
  describe('bad input is exit 2 before any network traffic, nothing written', () => {
    const pin = `sha256:${'0'.repeat(64)}`;
    const cases: [string, string[], RegExp][] = [
      ['malformed token', ['--token', 'abcdef.tooshort', '--discovery-token-ca-cert-hash', pin], /token is malformed/],
      [
        'malformed pin',
        ['--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', 'sha256:1234'],
        /invalid CA cert hash "sha256:1234": the hash has 2 bytes/,
      ],
      ['no pin without the unsafe flag', ['--token', 'abcdef.0123456789abcdef'], /no CA cert hash given/],
      ['no token at all', ['--discovery-token-ca-cert-hash', pin], /a bootstrap token is required/],
      [
        'upper-case node name',
        ['--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', pin, '--node-name', 'Edge_1'],
        /not a valid DNS-1123 subdomain/,
      ],
    ];
    for (const [name, flags, pattern] of cases) {
      it(`invalid: ${name}`, async (t) => {
        const dir = await workdir(t);
        // A closed port: any network attempt would show up as a discovery retry, not exit 2.
        const r = await kubejoin(['join', '127.0.0.1:1', ...flags, ...fileStoreFlags(dir)]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, pattern);
        assert.doesNotMatch(r.stdout, /\[discover\]/);
        assert.ok(!r.stderr.includes('0123456789abcdef'), 'no secret echoed');
        assert.deepEqual(await filesUnder(dir), []);
      });
    }
  });

  it('invalid: wrong CA cert hash is exit 3 and names the hash the cluster has', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const r = await kubejoin([
      'join',
      cluster.endpoint,
      '--token-file',
      await writeTokenFile(dir, token),
      '--discovery-token-ca-cert-hash',
      `sha256:${'ab'.repeat(32)}`,
      '--node-name',
      uniqueName('pin'),
      ...fileStoreFlags(dir),
    ]);
    assertNoSecret(r, token);
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`none of the CA certificates of this cluster matches .*${cluster.caCertHash}`));
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  const refusals: [string, Parameters<ClusterHandle['createToken']>[0] | 'unknown', RegExp][] = [
    ['well-formed token the cluster does not know', 'unknown', /token id "[a-z0-9]{6}" is invalid for this cluster or it has expired/],
    ['expired token', { expiration: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z') }, /is invalid for this cluster or it has expired/],
    ['token without the signing usage', { usages: ['authentication'] }, /is invalid for this cluster or it has expired/],
  ];
  for (const [name, opts, pattern] of refusals) {
    it(`invalid: ${name} is exit 4 when discovery gives up`, async (t) => {
      const dir = await workdir(t);
      const token = opts === 'unknown' ? 'zzzzzz.0123456789abcdef' : await cluster.createToken(opts);
      const r = await kubejoin([
        'join',
        cluster.endpoint,
        '--token-file',
        await writeTokenFile(dir, token),
        '--discovery-token-ca-cert-hash',
        cluster.caCertHash,
        '--discovery-timeout',
        '3s',
        '--node-name',
        uniqueName('refused'),
        ...fileStoreFlags(dir),
      ]);
      assertNoSecret(r, token);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, pattern);
      assert.match(r.stderr, /token create/);
      assert.deepEqual(await filesUnder(dir), ['token']);
    });
  }

  it('invalid: token without the authentication usage is exit 4 at the certificate request; its key is discarded', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken({ usages: ['signing'] });
    const r = await kubejoin([...tokenJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('noauth')), ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /refused the bootstrap token .*401/);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('invalid: unreachable endpoint is exit 6 after the discovery timeout', async (t) => {
    const dir = await workdir(t);
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await kubejoin([
      'join',
      `127.0.0.1:${port}`,
      '--token',
      'abcdef.0123456789abcdef',
      '--discovery-token-ca-cert-hash',
      cluster.caCertHash,
      '--discovery-timeout',
      '2s',
      ...fileStoreFlags(dir),
    ]);
    assert.equal(r.code, 6);
    assert.match(r.stderr, /warning: a token given with --token is visible/);
    assert.match(r.stderr, /nothing accepted a connection at 127\.0\.0\.1:\d+ \(connection refused, after \d+ s of discovery\)/);
    assert.match(r.stdout, /retrying \(attempt 2, \d+ s left\)/);
    assert.ok(!r.stdout.includes('0123456789abcdef') && !r.stderr.includes('0123456789abcdef'));
    assert.deepEqual(await filesUnder(dir), []);
  });

  it('invalid: a denied certificate request is exit 5 with the reason; nothing is left behind', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken({ groups: [MANUAL_GROUP] });
    const id = token.split('.')[0]!;
    const child = spawnKubejoin([...tokenJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('denied')), ...fileStoreFlags(dir)]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const [csr] = await eventually('the CSR', async () => ((await csrsOf(cluster, id)).length ? csrsOf(cluster, id) : undefined));
    const deny = await cluster.kubectl(['certificate', 'deny', csr!.name]);
    assert.equal(deny.code, 0, deny.stderr);
    assert.equal(await exited, 5, stderr);
    assertNoSecret({ code: 5, stdout, stderr }, token);
    assert.match(stderr, new RegExp(`${csr!.name} was denied by the cluster: KubectlDeny`));
    assert.deepEqual(await filesUnder(dir), ['token']);
  });
});
