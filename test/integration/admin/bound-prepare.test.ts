// `cluster prepare --bound-tokens` against the real control plane: idempotent, and the RBAC it
// makes is what docs/enrollment.md §4 says, checked with the API server's own authorizer
// (kubectl auth can-i, impersonating): the bound group may create CSRs but has no nodeclient
// auto-approval; the approver may do its few verbs and nothing more.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { prepareApprover } from './bound-helpers.js';

let c: ClusterHandle;

before(async () => {
  c = await testCluster();
  await prepareApprover(c);
});

test('a second run changes nothing, and a dry run would write nothing', async () => {
  const again = await kubejoinInProcess(['cluster', 'prepare', '--bound-tokens', '--kubeconfig', c.adminKubeconfig]);
  assert.equal(again.code, 0, again.stderr);
  for (const line of [
    'unchanged Role kube-public/kubejoin:cluster-info-watch',
    'unchanged RoleBinding kube-public/kubejoin:cluster-info-watch',
    'unchanged ClusterRole kubejoin:bound-token-approver',
    'unchanged ClusterRoleBinding kubejoin:bound-token-bootstrap',
    'unchanged ClusterRoleBinding kubejoin:bound-token-approver',
    'unchanged Role kube-system/kubejoin:bound-token-approver',
    'unchanged RoleBinding kube-system/kubejoin:bound-token-approver',
  ]) {
    assert.ok(again.stdout.includes(line), `missing "${line}" in:\n${again.stdout}`);
  }
  assert.match(again.stdout, /Nothing changed: the cluster was already prepared \(13 objects up to date\)\./);
  const dry = await kubejoinInProcess(['cluster', 'prepare', '--bound-tokens', '--dry-run', '--kubeconfig', c.adminKubeconfig]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout, '');
});

interface Who {
  user: string;
  groups?: string[];
}

/** A SubjectAccessReview: the API server's own authorizer decides. */
async function can(
  who: Who,
  attrs: { verb: string; group?: string; resource: string; subresource?: string; name?: string; namespace?: string },
): Promise<boolean> {
  const res = await c.request({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: who.user, groups: who.groups ?? [], resourceAttributes: attrs } },
  });
  assert.equal(res.status, 201, res.text);
  return res.json<{ status: { allowed: boolean } }>().status.allowed === true;
}

test('the RBAC, as the authorizer sees it', async () => {
  const bound: Who = { user: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:kubejoin:bound', 'system:authenticated'] };
  const approver: Who = { user: 'kubejoin:approver', groups: ['system:authenticated'] };
  const csrs = { group: 'certificates.k8s.io', resource: 'certificatesigningrequests' };
  const signer = (name: string) => ({ verb: 'approve', group: 'certificates.k8s.io', resource: 'signers', name });
  const cases: [string, Who, Parameters<typeof can>[1], boolean][] = [
    ['bound token creates CSRs', bound, { verb: 'create', ...csrs }, true],
    ['bound token has no nodeclient auto-approval', bound, { verb: 'create', ...csrs, subresource: 'nodeclient' }, false],
    ['bound token reads no Secrets', bound, { verb: 'get', resource: 'secrets', namespace: 'kube-system' }, false],
    ['approver watches CSRs', approver, { verb: 'watch', ...csrs }, true],
    ['approver updates approvals', approver, { verb: 'update', ...csrs, subresource: 'approval' }, true],
    ['approver approves for the kubelet client signer', approver, signer('kubernetes.io/kube-apiserver-client-kubelet'), true],
    ['approver approves for no other signer', approver, signer('kubernetes.io/kube-apiserver-client'), false],
    ['approver deletes token Secrets', approver, { verb: 'delete', resource: 'secrets', namespace: 'kube-system', name: 'bootstrap-token-abcdef' }, true],
    ['approver reads no Secrets elsewhere', approver, { verb: 'get', resource: 'secrets', namespace: 'default' }, false],
    ['approver deletes no CSRs', approver, { verb: 'delete', ...csrs }, false],
    ['approver writes no CSR status', approver, { verb: 'update', ...csrs, subresource: 'status' }, false],
  ];
  for (const [what, who, attrs, want] of cases) assert.equal(await can(who, attrs), want, what);
});
