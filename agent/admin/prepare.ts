import type { V1ClusterRoleBinding, V1ConfigMap, V1PolicyRule, V1Role, V1RoleBinding, V1RoleRef, RbacV1Subject as V1Subject } from '@kubernetes/client-node';
import { KubejoinError } from '../errors.js';
import type { AdminClient } from './client.js';
import { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, JWS_KEY_PREFIX, KUBECONFIG_KEY, clusterInfoKubeconfig, sameCluster } from './cluster-info.js';
import { DEFAULT_GROUPS } from './token-secret.js';

// `cluster prepare`: what kubeadm's bootstrap-token phase creates (docs/protocol.md §5), created or
// updated idempotently. Each object is compared with what is there; only differences are written,
// so a second run writes nothing. The decisions are pure; `prepareCluster` applies them.

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const NODE_BOOTSTRAP_GROUP = DEFAULT_GROUPS[0]!;
export const CLUSTER_INFO_ROLE = 'kubeadm:bootstrap-signer-clusterinfo';
/** Lets nodes watch cluster-info, so `kubejoin agent` follows the CA bundle by a watch (docs/operations.md, "CA rotation"). */
export const CLUSTER_INFO_WATCH_ROLE = 'kubejoin:cluster-info-watch';

export type Action = 'create' | 'update' | 'unchanged';

export interface PlannedObject<T = object> {
  kind: 'ClusterRoleBinding' | 'ClusterRole' | 'Role' | 'RoleBinding' | 'ConfigMap';
  name: string;
  namespace?: string;
  action: Action;
  /** The object as it would be written (for create/update), clean of server fields. */
  body: T;
  note?: string;
}

function clusterRoleBinding(name: string, clusterRole: string, group: string): V1ClusterRoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: clusterRole },
    subjects: [{ apiGroup: RBAC_GROUP, kind: 'Group', name: group }],
  };
}

/** The six objects, as kubeadm writes them, and kubejoin's Role and RoleBinding for the nodes' watch of cluster-info. */
export function desiredObjects(
  server: string,
  caBytes: Buffer,
): {
  bindings: V1ClusterRoleBinding[];
  role: V1Role;
  roleBinding: V1RoleBinding;
  watchRole: V1Role;
  watchRoleBinding: V1RoleBinding;
  configMap: V1ConfigMap;
} {
  return {
    bindings: [
      clusterRoleBinding('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', NODE_BOOTSTRAP_GROUP),
      clusterRoleBinding('kubeadm:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', NODE_BOOTSTRAP_GROUP),
      clusterRoleBinding(
        'kubeadm:node-autoapprove-certificate-rotation',
        'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
        'system:nodes',
      ),
    ],
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CLUSTER_INFO_NAME, namespace: CLUSTER_INFO_NAMESPACE },
      data: { [KUBECONFIG_KEY]: clusterInfoKubeconfig(server, caBytes) },
    },
    role: {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'Role',
      metadata: { name: CLUSTER_INFO_ROLE, namespace: CLUSTER_INFO_NAMESPACE },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: [CLUSTER_INFO_NAME] }],
    },
    roleBinding: {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: { name: CLUSTER_INFO_ROLE, namespace: CLUSTER_INFO_NAMESPACE },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: CLUSTER_INFO_ROLE },
      subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: 'system:anonymous' }],
    },
    watchRole: {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'Role',
      metadata: { name: CLUSTER_INFO_WATCH_ROLE, namespace: CLUSTER_INFO_NAMESPACE },
      rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['configmaps'], resourceNames: [CLUSTER_INFO_NAME] }],
    },
    watchRoleBinding: {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: { name: CLUSTER_INFO_WATCH_ROLE, namespace: CLUSTER_INFO_NAMESPACE },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: CLUSTER_INFO_WATCH_ROLE },
      subjects: [{ apiGroup: RBAC_GROUP, kind: 'Group', name: 'system:nodes' }],
    },
  };
}

// ---- comparisons (with the server's defaulting applied) ----

function subjectKey(s: V1Subject): string {
  const apiGroup = s.apiGroup ?? (s.kind === 'ServiceAccount' ? '' : RBAC_GROUP);
  return JSON.stringify([s.kind, apiGroup, s.name, s.namespace ?? '']);
}

export function sameSubjects(a: readonly V1Subject[] | undefined, b: readonly V1Subject[] | undefined): boolean {
  const ka = (a ?? []).map(subjectKey);
  const kb = (b ?? []).map(subjectKey);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

function sameRoleRef(a: V1RoleRef | undefined, b: V1RoleRef): boolean {
  return a !== undefined && a.kind === b.kind && a.name === b.name && (a.apiGroup ?? RBAC_GROUP) === b.apiGroup;
}

function ruleKey(r: V1PolicyRule): string {
  return JSON.stringify([r.verbs ?? [], r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []]);
}

export function sameRules(a: readonly V1PolicyRule[] | undefined, b: readonly V1PolicyRule[] | undefined): boolean {
  const ka = (a ?? []).map(ruleKey);
  const kb = (b ?? []).map(ruleKey);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

/** Keeps the server's identity fields so a replace is a compare-and-swap. */
function withVersion<T extends { metadata?: { resourceVersion?: string } }>(desired: T, existing: { metadata?: { resourceVersion?: string } }): T {
  return { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } };
}

function roleRefConflict(kind: string, name: string, namespace: string | undefined, have: V1RoleRef | undefined, want: V1RoleRef): KubejoinError {
  const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
  return new KubejoinError(
    'invalid-input',
    `${kind} ${name}${where} exists but refers to ${have?.kind ?? '?'} ${JSON.stringify(have?.name ?? '')}, not ${want.kind} ${JSON.stringify(want.name)}`,
    {
      hint: `A binding's roleRef cannot be changed in place. Check who made it; if it may go, delete it (kubectl delete ${kind.toLowerCase()} ${name}${namespace === undefined ? '' : ` -n ${namespace}`}) and run "kubejoin cluster prepare" again.`,
    },
  );
}

export function planBinding<T extends V1ClusterRoleBinding | V1RoleBinding>(
  kind: 'ClusterRoleBinding' | 'RoleBinding',
  existing: T | undefined,
  desired: T,
): PlannedObject<T> {
  const name = desired.metadata?.name ?? '';
  const namespace = desired.metadata?.namespace;
  const base = { kind, name, ...(namespace === undefined ? {} : { namespace }) };
  if (existing === undefined) return { ...base, action: 'create', body: desired };
  if (!sameRoleRef(existing.roleRef, desired.roleRef)) throw roleRefConflict(kind, name, namespace, existing.roleRef, desired.roleRef);
  if (sameSubjects(existing.subjects, desired.subjects)) return { ...base, action: 'unchanged', body: desired };
  return { ...base, action: 'update', body: withVersion(desired, existing), note: 'subjects differ' };
}

export function planRole(existing: V1Role | undefined, desired: V1Role): PlannedObject<V1Role> {
  const base = { kind: 'Role' as const, name: desired.metadata?.name ?? '', namespace: desired.metadata?.namespace ?? '' };
  if (existing === undefined) return { ...base, action: 'create', body: desired };
  if (sameRules(existing.rules, desired.rules)) return { ...base, action: 'unchanged', body: desired };
  return { ...base, action: 'update', body: withVersion(desired, existing), note: 'rules differ' };
}

/**
 * cluster-info: created if absent; left alone if its kubeconfig already names the same server
 * and CA (it is signed as served: re-serializing it would break every signature for nothing);
 * otherwise its kubeconfig is replaced and the other keys (signatures) kept for the signer to redo.
 */
export function planClusterInfo(existing: V1ConfigMap | undefined, desired: V1ConfigMap, server: string, caBytes: Buffer): PlannedObject<V1ConfigMap> {
  const base = { kind: 'ConfigMap' as const, name: CLUSTER_INFO_NAME, namespace: CLUSTER_INFO_NAMESPACE };
  if (existing === undefined) return { ...base, action: 'create', body: desired };
  const current = existing.data?.[KUBECONFIG_KEY];
  if (current !== undefined && sameCluster(current, server, caBytes)) return { ...base, action: 'unchanged', body: existing };
  const data = { ...(existing.data ?? {}), [KUBECONFIG_KEY]: desired.data![KUBECONFIG_KEY]! };
  const signatures = Object.keys(data).filter((k) => k.startsWith(JWS_KEY_PREFIX)).length;
  const body: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CLUSTER_INFO_NAME, namespace: CLUSTER_INFO_NAMESPACE, resourceVersion: existing.metadata?.resourceVersion },
    data,
  };
  if (existing.binaryData) body.binaryData = existing.binaryData;
  const what = current === undefined ? 'it had no kubeconfig' : 'its server or CA differed';
  const note = signatures > 0 ? `${what}; its ${signatures} signature(s) are stale until re-signed (BootstrapSigner or "kubejoin cluster sign")` : what;
  return { ...base, action: 'update', body, note };
}

export type PrepareApi = Pick<
  AdminClient,
  | 'getClusterRoleBinding'
  | 'createClusterRoleBinding'
  | 'replaceClusterRoleBinding'
  | 'getRole'
  | 'createRole'
  | 'replaceRole'
  | 'getRoleBinding'
  | 'createRoleBinding'
  | 'replaceRoleBinding'
  | 'getConfigMap'
  | 'createConfigMap'
  | 'replaceConfigMap'
>;

/** Reads each object, decides, and (unless dryRun) writes. Order: RBAC, cluster-info, its Roles and RoleBindings (kubeadm's, then the nodes' watch). */
export async function prepareCluster(api: PrepareApi, server: string, caBytes: Buffer, dryRun: boolean): Promise<PlannedObject[]> {
  const want = desiredObjects(server, caBytes);
  const done: PlannedObject[] = [];
  for (const desired of want.bindings) {
    const plan = planBinding('ClusterRoleBinding', await api.getClusterRoleBinding(desired.metadata!.name!), desired);
    if (!dryRun && plan.action === 'create') await api.createClusterRoleBinding(plan.body);
    if (!dryRun && plan.action === 'update') await api.replaceClusterRoleBinding(plan.body);
    done.push(plan);
  }
  const cm = planClusterInfo(await api.getConfigMap(CLUSTER_INFO_NAMESPACE, CLUSTER_INFO_NAME), want.configMap, server, caBytes);
  if (!dryRun && cm.action === 'create') await api.createConfigMap(cm.body);
  if (!dryRun && cm.action === 'update' && (await api.replaceConfigMap(cm.body)) === undefined) {
    throw new KubejoinError('internal', `${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME} changed while it was being updated`, {
      hint: 'Run "kubejoin cluster prepare" again.',
    });
  }
  done.push(cm);
  for (const [wantRole, wantBinding] of [
    [want.role, want.roleBinding],
    [want.watchRole, want.watchRoleBinding],
  ] as const) {
    const name = wantRole.metadata!.name!;
    const role = planRole(await api.getRole(CLUSTER_INFO_NAMESPACE, name), wantRole);
    if (!dryRun && role.action === 'create') await api.createRole(role.body);
    if (!dryRun && role.action === 'update') await api.replaceRole(role.body);
    done.push(role);
    const rb = planBinding('RoleBinding', await api.getRoleBinding(CLUSTER_INFO_NAMESPACE, name), wantBinding);
    if (!dryRun && rb.action === 'create') await api.createRoleBinding(rb.body);
    if (!dryRun && rb.action === 'update') await api.replaceRoleBinding(rb.body);
    done.push(rb);
  }
  return done;
}

/** The object as `--dry-run` prints it: no server-owned metadata. */
export function printable(plan: PlannedObject): object {
  const body = plan.body as { metadata?: Record<string, unknown> } & Record<string, unknown>;
  const { name, namespace } = (body.metadata ?? {}) as { name?: string; namespace?: string };
  return { ...body, metadata: namespace === undefined ? { name } : { name, namespace } };
}
