import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { EXTERNAL_SIGNER_FLAGS, runIntermediateSigner, writePkiWithIntermediate, type Intermediate } from '../harness/intermediate-ca.js';
import { ensureBuilt, run, uniqueName, writeTokenFile } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { csrsOfToken, joinArgs, kubejoinRun, readOptional } from './fault-helpers.js';

// A cluster whose kubelet-client certificates come from a signer holding an intermediate CA
// under the cluster CA that discovery pins (an external signer: kube-controller-manager
// approves but does not sign; the test signs and uploads leaf + intermediate). The issued
// certificate chains to the pinned CA only through that intermediate, and is accepted.

let cluster: ClusterHandle;
let stateDir: string;
let inter: Intermediate;
before(async () => {
  await ensureBuilt();
  stateDir = await mkdtemp(join(tmpdir(), 'kubejoin-intermediate-'));
  inter = await writePkiWithIntermediate(stateDir);
  cluster = await startCluster({ stateDir, controllerManagerFlags: EXTERNAL_SIGNER_FLAGS });
});
after(async () => {
  await cluster?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('a kubelet-client signer with an intermediate CA', () => {
  it('valid: the join accepts the certificate through the intermediate it came with; the file store keeps the chain; kubectl works', async (t) => {
    const stop = new AbortController();
    const signer = runIntermediateSigner(cluster, inter, stop.signal);
    t.after(() => stop.abort());
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('inter');
    const r = await kubejoinRun(joinArgs(cluster, await writeTokenFile(dir, token), node, dir));
    stop.abort();
    const signed = await signer;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const csrs = await csrsOfToken(cluster, token);
    assert.equal(csrs.length, 1);
    assert.deepEqual(signed, [csrs[0]!.name], 'signed by the test signer, not kube-controller-manager');
    const pem = (await readOptional(join(dir, 'pki/kubelet-client-current.pem')))!;
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    assert.equal(certs.length, 2, 'leaf and intermediate, as issued');
    const leaf = new X509Certificate(certs[0]!);
    const intermediate = new X509Certificate(inter.pem);
    assert.ok(leaf.checkIssued(intermediate) && leaf.verify(intermediate.publicKey), 'issued by the intermediate');
    assert.ok(!leaf.checkIssued(new X509Certificate(cluster.caPem)), 'not by the pinned CA directly');
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', 'pki/kubelet-client-current.pem', 'token']);
    const who = await run('kubectl', ['--kubeconfig', join(dir, 'kubelet.conf'), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {});
    assert.equal(who.stdout, `system:node:${node}`, who.stderr);
  });
});
