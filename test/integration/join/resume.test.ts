import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterHandle } from '../../harness/index.js';
import { assertNoSecret, fileStoreFlags, kubejoin, spawnKubejoin, uniqueName, tokenJoinArgs, writeTokenFile } from '../../helpers/cli.js';
import { eventually } from '../../helpers/poll.js';
import { filesUnder, workdir } from '../../helpers/temp.js';
import { MANUAL_GROUP, csrsOf, joinTestCluster, whoami } from './setup.js';

// `kubejoin join` against the real control plane while its CSR waits: a killed join
// resumes with the same key and CSR; one never approved keeps its key for a re-run.

let cluster: ClusterHandle;
before(async () => {
  cluster = await joinTestCluster();
});

describe('kubejoin join against the real control plane: a pending CSR', () => {
  it('valid: a join killed after its CSR was created resumes with the same key and CSR', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken({ groups: [MANUAL_GROUP] });
    const id = token.split('.')[0]!;
    const node = uniqueName('resume');
    const args = [...tokenJoinArgs(cluster, await writeTokenFile(dir, token), node), ...fileStoreFlags(dir)];
    const child = spawnKubejoin(args);
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const [csr] = await eventually('the CSR', async () => ((await csrsOf(cluster, id)).length ? csrsOf(cluster, id) : undefined));
    child.kill('SIGKILL');
    await exited;
    const pendingPem = await readFile(join(dir, 'pki/kubelet-client.key.tmp'), 'utf8');
    assert.equal((await stat(join(dir, 'pki/kubelet-client.key.tmp'))).mode & 0o777, 0o600);
    const approve = await cluster.kubectl(['certificate', 'approve', csr!.name]);
    assert.equal(approve.code, 0, approve.stderr);
    const r = await kubejoin(args);
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reusing the key of an earlier, unfinished join/);
    assert.match(r.stdout, new RegExp(`reusing ${csr!.name} from an earlier run`));
    assert.deepEqual(
      (await csrsOf(cluster, id)).map((c) => c.name),
      [csr!.name],
      'one CSR in the cluster',
    );
    const pem = await readFile(join(dir, 'pki/kubelet-client-current.pem'), 'utf8');
    const issuedKey = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
    assert.ok(
      issuedKey.equals(createPublicKey(createPrivateKey(pendingPem)).export({ type: 'spki', format: 'der' })),
      "the certificate is for the first run's key",
    );
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', 'pki/kubelet-client-current.pem', 'token']);
    assert.equal((await whoami(join(dir, 'kubelet.conf'))).username, `system:node:${node}`);
  });

  it('invalid: a certificate never approved is exit 6 at --timeout; the key stays for a re-run', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken({ groups: [MANUAL_GROUP] });
    const r = await kubejoin([...tokenJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('slow')), '--timeout', '3s', ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /did not finish within 3 s .*\n.*kubectl certificate approve/s);
    assert.match(r.stderr, /in phase await-approval/);
    assert.deepEqual(await filesUnder(dir), ['pki/kubelet-client.key.tmp', 'token'], 'only the pending key, kept so a re-run reuses the CSR');
  });
});
