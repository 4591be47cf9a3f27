import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1ClusterRoleBinding, V1ConfigMap, V1Role, V1RoleBinding } from '@kubernetes/client-node';
import { clusterInfoKubeconfig } from '../../../agent/admin/cluster-info.js';
import { desiredObjects, planBinding, planClusterInfo, planRole, prepareCluster, type PrepareApi } from '../../../agent/admin/prepare.js';
import { KubejoinError } from '../../../agent/errors.js';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n');
const SERVER = 'https://127.0.0.1:6443';

test('cluster-info kubeconfig: byte-identical to client-go clientcmd.Write (v0.36.3) as kubeadm uses it', () => {
  // Printed by a Go program calling clientcmd.Write(Config{Clusters: {"": {Server, CertificateAuthorityData}}}).
  assert.equal(
    clusterInfoKubeconfig(SERVER, CA),
    `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCmFiYwotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==
    server: https://127.0.0.1:6443
  name: ""
contexts: null
current-context: ""
kind: Config
users: null
`,
  );
  assert.match(clusterInfoKubeconfig('https://[fd00::1]:6443', CA), /\n {4}server: https:\/\/\[fd00::1\]:6443\n/);
});

const want = desiredObjects(SERVER, CA);

test('desired: the three ClusterRoleBindings of docs/protocol.md §5', () => {
  assert.deepEqual(
    want.bindings.map((b) => [b.metadata?.name, b.roleRef.name, b.subjects?.[0]?.kind, b.subjects?.[0]?.name]),
    [
      ['kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', 'Group', 'system:bootstrappers:kubeadm:default-node-token'],
      [
        'kubeadm:node-autoapprove-bootstrap',
        'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
        'Group',
        'system:bootstrappers:kubeadm:default-node-token',
      ],
      ['kubeadm:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'Group', 'system:nodes'],
    ],
  );
  assert.deepEqual(want.role.rules, [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'] }]);
  assert.deepEqual(want.roleBinding.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' }]);
});

test('binding: absent -> create; same (server defaulted apiGroup) -> unchanged; other subjects -> update', () => {
  const desired = want.bindings[0]!;
  assert.equal(planBinding('ClusterRoleBinding', undefined, desired).action, 'create');
  const stored: V1ClusterRoleBinding = {
    ...desired,
    metadata: { name: desired.metadata!.name!, resourceVersion: '7' },
    subjects: [{ kind: 'Group', name: desired.subjects![0]!.name, apiGroup: 'rbac.authorization.k8s.io' }],
  };
  assert.equal(planBinding('ClusterRoleBinding', stored, desired).action, 'unchanged');
  const changed = planBinding('ClusterRoleBinding', { ...stored, subjects: [] }, desired);
  assert.equal(changed.action, 'update');
  assert.equal((changed.body as V1ClusterRoleBinding).metadata?.resourceVersion, '7');
});

test('binding: a different roleRef is a clear error (it cannot be changed in place)', () => {
  const desired = want.roleBinding;
  const stored: V1RoleBinding = { ...desired, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' } };
  assert.throws(
    () => planBinding('RoleBinding', stored, desired),
    (e: unknown) => e instanceof KubejoinError && /refers to ClusterRole "view"/.test(e.message),
  );
});

test('role: rules compared; extra rules -> update', () => {
  assert.equal(planRole(structuredClone(want.role), want.role).action, 'unchanged');
  const wider: V1Role = { ...want.role, rules: [...want.role.rules!, { verbs: ['list'], apiGroups: [''], resources: ['configmaps'] }] };
  assert.equal(planRole(wider, want.role).action, 'update');
});

test('cluster-info: same server and CA in another formatting is left alone (it is signed as stored)', () => {
  const reformatted = `apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: ${SERVER}\n    certificate-authority-data: ${CA.toString('base64')}\n`;
  const existing: V1ConfigMap = {
    metadata: { name: 'cluster-info', namespace: 'kube-public' },
    data: { kubeconfig: reformatted, 'jws-kubeconfig-abcdef': 'sig' },
  };
  assert.equal(planClusterInfo(existing, want.configMap, SERVER, CA).action, 'unchanged');
});

test('cluster-info: another server -> kubeconfig replaced, signatures kept for the signer, noted as stale', () => {
  const existing: V1ConfigMap = {
    metadata: { name: 'cluster-info', namespace: 'kube-public', resourceVersion: '3' },
    data: { kubeconfig: clusterInfoKubeconfig('https://10.0.0.1:6443', CA), 'jws-kubeconfig-abcdef': 'sig' },
  };
  const plan = planClusterInfo(existing, want.configMap, SERVER, CA);
  assert.equal(plan.action, 'update');
  assert.deepEqual(plan.body.data, { kubeconfig: clusterInfoKubeconfig(SERVER, CA), 'jws-kubeconfig-abcdef': 'sig' });
  assert.equal(plan.body.metadata?.resourceVersion, '3');
  assert.match(plan.note ?? '', /stale/);
});

/** An in-memory API server for the eight objects. */
function fakeApi(): { api: PrepareApi; writes: string[] } {
  const store = new Map<string, { metadata?: { resourceVersion?: string } }>();
  const writes: string[] = [];
  const get = async <T>(key: string): Promise<T | undefined> => structuredClone(store.get(key)) as T | undefined;
  const put = async <T extends { metadata?: { name?: string; namespace?: string; resourceVersion?: string } }>(kind: string, body: T): Promise<T> => {
    const key = `${kind}/${body.metadata?.namespace ?? ''}/${body.metadata?.name}`;
    writes.push(key);
    store.set(key, { ...body, metadata: { ...body.metadata, resourceVersion: String(writes.length) } });
    return body;
  };
  const api: PrepareApi = {
    getClusterRoleBinding: (n) => get(`crb//${n}`),
    createClusterRoleBinding: (b) => put('crb', b),
    replaceClusterRoleBinding: (b) => put('crb', b),
    getRole: (ns, n) => get(`role/${ns}/${n}`),
    createRole: (b) => put('role', b),
    replaceRole: (b) => put('role', b),
    getRoleBinding: (ns, n) => get(`rb/${ns}/${n}`),
    createRoleBinding: (b) => put('rb', b),
    replaceRoleBinding: (b) => put('rb', b),
    getConfigMap: (ns, n) => get(`cm/${ns}/${n}`),
    createConfigMap: (b) => put('cm', b),
    replaceConfigMap: (b) => put('cm', b),
  };
  return { api, writes };
}

test("prepare: first run creates eight objects (kubeadm's six, the nodes' watch of cluster-info), second run writes nothing; dry run writes nothing", async () => {
  const { api, writes } = fakeApi();
  const dry = await prepareCluster(api, SERVER, CA, true);
  assert.deepEqual(
    dry.map((p) => p.action),
    ['create', 'create', 'create', 'create', 'create', 'create', 'create', 'create'],
  );
  assert.equal(writes.length, 0);
  const first = await prepareCluster(api, SERVER, CA, false);
  assert.deepEqual(
    first.map((p) => p.action),
    ['create', 'create', 'create', 'create', 'create', 'create', 'create', 'create'],
  );
  assert.equal(writes.length, 8);
  assert.deepEqual(want.watchRole.rules, [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'] }]);
  assert.deepEqual(want.watchRoleBinding.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }]);
  assert.ok(writes.includes('role/kube-public/kubejoin:cluster-info-watch') && writes.includes('rb/kube-public/kubejoin:cluster-info-watch'));
  const second = await prepareCluster(api, SERVER, CA, false);
  assert.deepEqual(
    second.map((p) => p.action),
    ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged'],
  );
  assert.equal(writes.length, 8);
});
