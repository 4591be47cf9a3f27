// Shared by the join tests: the shared control plane with a group that may request node
// certificates but is NOT auto-approved, and what kubectl
// and the cluster say about a join.
import assert from 'node:assert/strict';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { ensureBuilt, run } from '../../helpers/cli.js';

export const MANUAL_GROUP = 'system:bootstrappers:kubejoin:manual';

/** For before(): dist/ built, the shared cluster, and the binding of MANUAL_GROUP. */
export async function joinTestCluster(): Promise<ClusterHandle> {
  await ensureBuilt();
  const cluster = await testCluster();
  const r = await cluster.kubectl([
    'create',
    'clusterrolebinding',
    'kubejoin-test-manual',
    '--clusterrole=system:node-bootstrapper',
    `--group=${MANUAL_GROUP}`,
  ]);
  assert.ok(r.code === 0 || /already exists|AlreadyExists/.test(r.stderr), r.stderr);
  return cluster;
}

/** `kubectl auth whoami` with the kubeconfig a join wrote. */
export async function whoami(kubeconfig: string, env?: NodeJS.ProcessEnv): Promise<{ username: string; groups: string[] }> {
  const r = await run('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'json'], { env: env ?? process.env });
  assert.equal(r.code, 0, r.stderr);
  const info = (JSON.parse(r.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
  return info;
}

/** The CSRs made with token `tokenId`, and their condition types. */
export async function csrsOf(cluster: ClusterHandle, tokenId: string): Promise<{ name: string; conditions: string[] }[]> {
  const r = await cluster.kubectl(['get', 'csr', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec: { username: string }; status?: { conditions?: { type: string }[] } }[] })
    .items;
  return items
    .filter((i) => i.spec.username === `system:bootstrap:${tokenId}`)
    .map((i) => ({ name: i.metadata.name, conditions: (i.status?.conditions ?? []).map((c) => c.type) }));
}
