import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, kubejoin, uniqueName } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { foreignCertificate } from '../helpers/hostile-servers.js';

// --discovery-file: a kubeconfig (path or https URL) gives server and CA; the TLS
// bootstrap then runs against the real control plane.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

function discoveryKubeconfig(caPem: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'k', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    contexts: [{ name: 'k', context: { cluster: 'k' } }],
    'current-context': 'k',
  });
}

describe('--discovery-file', () => {
  it('valid: a local kubeconfig file, token from KUBEJOIN_TOKEN', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.createToken();
    await writeFile(join(dir, 'discovery.conf'), discoveryKubeconfig(cluster.caPem));
    const node = uniqueName('dfile');
    const r = await kubejoin(['join', '--discovery-file', join(dir, 'discovery.conf'), '--node-name', node, ...fileStoreFlags(dir)], {
      env: cliEnv({ KUBEJOIN_TOKEN: token }),
    });
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /skipped: a discovery file carries no signature/);
    assert.match(r.stdout, new RegExp(`Joined as system:node:${node}`));
  });

  it('valid: an https URL fetched with the system trust store (NODE_EXTRA_CA_CERTS)', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.createToken();
    const tls = foreignCertificate();
    const body = discoveryKubeconfig(cluster.caPem);
    const server = https.createServer(tls, (_req, res) => res.writeHead(200).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    await writeFile(join(dir, 'trust.pem'), tls.cert);
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/discovery.conf`;
    const r = await kubejoin(['join', '--discovery-file', url, '--tls-bootstrap-token', token, '--node-name', uniqueName('durl'), ...fileStoreFlags(dir)], {
      env: cliEnv({ NODE_EXTRA_CA_CERTS: join(dir, 'trust.pem') }),
    });
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
  });

  it('invalid: a discovery file whose CA did not issue the server certificate is exit 3', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.createToken();
    await writeFile(join(dir, 'discovery.conf'), discoveryKubeconfig(foreignCertificate().cert));
    const r = await kubejoin(['join', '--discovery-file', join(dir, 'discovery.conf'), '--node-name', uniqueName('dbad'), ...fileStoreFlags(dir)], {
      env: cliEnv({ KUBEJOIN_TOKEN: token }),
    });
    assertNoSecret(r, token);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /could not be verified with the CA of the discovery file/);
    assert.deepEqual(await filesUnder(dir), ['discovery.conf']);
  });

  it('invalid: a missing discovery file is exit 2', async (t) => {
    const dir = await workdir(t);
    const r = await kubejoin(['join', '--discovery-file', join(dir, 'nope.conf'), '--tls-bootstrap-token', 'abcdef.0123456789abcdef', ...fileStoreFlags(dir)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot read the discovery file .*nope\.conf: ENOENT/);
  });
});
