import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterHandle } from '../../harness/index.js';
import { assertNoSecret, fileStoreFlags, cliEnv, kubejoin, uniqueName, tokenJoinArgs } from '../../helpers/cli.js';
import { workdir } from '../../helpers/temp.js';
import { joinTestCluster, whoami } from './setup.js';

// `kubejoin join` against the real control plane: the token from stdin and the
// environment, NDJSON output, and a kubeadm JoinConfiguration file.

let cluster: ClusterHandle;
before(async () => {
  cluster = await joinTestCluster();
});

describe('kubejoin join against the real control plane: input and output', () => {
  it('valid: --output json is NDJSON through every phase; token from stdin and from KUBEJOIN_TOKEN', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const fromStdin = await kubejoin([...tokenJoinArgs(cluster, '-', uniqueName('stdin')), ...fileStoreFlags(join(dir, 'a')), '-o', 'json'], {
      input: `${token}\n`,
    });
    assertNoSecret(fromStdin, token);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    const events = fromStdin.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; phase?: string; result?: { ok: boolean; phaseDurationsMs: Record<string, number> } });
    const succeeded = events.filter((e) => e.type === 'succeeded').map((e) => e.phase);
    assert.deepEqual(succeeded, [
      'validate',
      'discover',
      'verify-signature',
      'pin-ca',
      'verify-server',
      'request-certificate',
      'await-approval',
      'store-credentials',
      'verify-credentials',
    ]);
    const last = events.at(-1)!;
    assert.equal(last.type, 'result');
    assert.equal(last.result?.ok, true);
    assert.equal(Object.keys(last.result?.phaseDurationsMs ?? {}).length, 9);
    const fromEnv = await kubejoin(
      ['join', cluster.endpoint, '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', uniqueName('env'), ...fileStoreFlags(join(dir, 'b'))],
      { env: cliEnv({ KUBEJOIN_TOKEN: token }) },
    );
    assertNoSecret(fromEnv, token);
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.doesNotMatch(fromEnv.stderr, /visible in the process list/);
  });

  it('valid: --config with a kubeadm JoinConfiguration (v1beta4)', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('config');
    const config = join(dir, 'join.yaml');
    await writeFile(
      config,
      `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: ${cluster.endpoint}\n    token: ${token}\n    caCertHashes: ["${cluster.caCertHash}"]\nnodeRegistration:\n  name: ${node}\ntimeouts:\n  discovery: 1m\n`,
      { mode: 0o600 },
    );
    const r = await kubejoin(['join', '--config', config, ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await whoami(join(dir, 'kubelet.conf'))).username, `system:node:${node}`);
  });
});
