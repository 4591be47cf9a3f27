// The objects of kubeadm's bootstrap-token phase (docs/protocol.md §5), created the way kubeadm
// does it (apiclient.CreateOrUpdate: create, and on AlreadyExists update).
import type { ApiClient } from './https.js';
import { clusterInfoKubeconfig } from './kubeconfig.js';
import { sleep } from './time.js';

const RBAC = 'rbac.authorization.k8s.io';
export const CLUSTER_INFO_ROLE = 'kubeadm:bootstrap-signer-clusterinfo';
export const DEFAULT_NODE_TOKEN_GROUP = 'system:bootstrappers:kubeadm:default-node-token';

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  [field: string]: unknown;
}

function clusterRoleBinding(name: string, group: string, clusterRole: string): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'Group', apiGroup: RBAC, name: group }],
  };
}

/** Everything kubeadm init creates for token bootstrap, for the given server URL and CA. */
export function bootstrapObjects(server: string, caPem: string): { path: string; object: KubeObject }[] {
  const crbs = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
  return [
    { path: crbs, object: clusterRoleBinding('kubeadm:kubelet-bootstrap', DEFAULT_NODE_TOKEN_GROUP, 'system:node-bootstrapper') },
    {
      path: crbs,
      object: clusterRoleBinding(
        'kubeadm:node-autoapprove-bootstrap',
        DEFAULT_NODE_TOKEN_GROUP,
        'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
      ),
    },
    {
      path: crbs,
      object: clusterRoleBinding(
        'kubeadm:node-autoapprove-certificate-rotation',
        'system:nodes',
        'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
      ),
    },
    {
      path: '/api/v1/namespaces/kube-public/configmaps',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cluster-info', namespace: 'kube-public' },
        data: { kubeconfig: clusterInfoKubeconfig(server, caPem) },
      },
    },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/namespaces/kube-public/roles',
      object: {
        apiVersion: `${RBAC}/v1`,
        kind: 'Role',
        metadata: { name: CLUSTER_INFO_ROLE, namespace: 'kube-public' },
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'] }],
      },
    },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/namespaces/kube-public/rolebindings',
      object: {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name: CLUSTER_INFO_ROLE, namespace: 'kube-public' },
        roleRef: { apiGroup: RBAC, kind: 'Role', name: CLUSTER_INFO_ROLE },
        subjects: [{ kind: 'User', apiGroup: RBAC, name: 'system:anonymous' }],
      },
    },
  ];
}

/**
 * Create, or on 409 replace the existing object (kubeadm's CreateOrUpdate). Retries while the
 * apiserver is still settling (namespace not there yet, 5xx, 429, connection errors).
 */
export async function createOrUpdate(api: ApiClient, path: string, object: KubeObject, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const res = await api.request({ method: 'POST', path, body: object });
      if (res.status === 201 || res.status === 200) return;
      if (res.status === 409) {
        const itemPath = `${path}/${encodeURIComponent(object.metadata.name)}`;
        const current = await api.ok({ path: itemPath });
        const resourceVersion = current.json<KubeObject>().metadata.resourceVersion;
        const put = await api.request({
          method: 'PUT',
          path: itemPath,
          body: { ...object, metadata: { ...object.metadata, resourceVersion } },
        });
        if (put.status === 200) return;
        last = `PUT ${itemPath}: HTTP ${put.status}: ${put.text.slice(0, 300)}`;
        if (put.status !== 409 && put.status < 500) throw new Error(last);
      } else {
        last = `POST ${path}: HTTP ${res.status}: ${res.text.slice(0, 300)}`;
        if (res.status !== 404 && res.status !== 429 && res.status < 500) throw new Error(last);
      }
    } catch (err) {
      if (err instanceof Error && /^(PUT|POST) /.test(err.message)) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`creating ${object.kind} ${object.metadata.name}: ${last}`);
    await sleep(200);
  }
}

export async function createBootstrapObjects(api: ApiClient, server: string, caPem: string): Promise<void> {
  await Promise.all(bootstrapObjects(server, caPem).map(({ path, object }) => createOrUpdate(api, path, object)));
}
