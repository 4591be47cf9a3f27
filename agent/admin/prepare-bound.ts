import type { V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1Role, V1RoleBinding } from '@kubernetes/client-node';
import type { AdminClient } from './client.js';
import { BOUND_GROUP, KUBELET_CLIENT_SIGNER } from './bound.js';
import { createClusterRole, getClusterRole, replaceClusterRole } from './csr-client.js';
import { planBinding, planRole, sameRules, type PlannedObject, type PrepareApi } from './prepare.js';
import { TOKEN_NAMESPACE } from './token-secret.js';

// `cluster prepare --bound-tokens` (docs/enrollment.md §4): the bound group may create CSRs
// (system:node-bootstrapper) and is bound to no auto-approval; the approver gets a role with
// only the verbs it uses, bound to the user APPROVER_USER (a client certificate with that CN,
// e.g. from "kubeadm kubeconfig user --client-name kubejoin:approver").

export { BOUND_GROUP } from './bound.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
export const BOUND_BOOTSTRAP_BINDING = 'kubejoin:bound-token-bootstrap';
export const APPROVER_ROLE = 'kubejoin:bound-token-approver';
export const APPROVER_USER = 'kubejoin:approver';

const user = [{ apiGroup: RBAC_GROUP, kind: 'User', name: APPROVER_USER }];

export const APPROVER_RULES: V1PolicyRule[] = [
  { verbs: ['get', 'list', 'watch'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'] },
  { verbs: ['update'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'] },
  { verbs: ['approve'], apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: [KUBELET_CLIENT_SIGNER] },
];
export const APPROVER_SECRET_RULES: V1PolicyRule[] = [{ verbs: ['get', 'list', 'delete'], apiGroups: [''], resources: ['secrets'] }];

export function boundObjects(): { bindings: V1ClusterRoleBinding[]; clusterRole: V1ClusterRole; role: V1Role; roleBinding: V1RoleBinding } {
  const ref = (kind: 'ClusterRole' | 'Role', name: string) => ({ apiGroup: RBAC_GROUP, kind, name });
  return {
    bindings: [
      {
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: BOUND_BOOTSTRAP_BINDING },
        roleRef: ref('ClusterRole', 'system:node-bootstrapper'),
        subjects: [{ apiGroup: RBAC_GROUP, kind: 'Group', name: BOUND_GROUP }],
      },
      {
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: APPROVER_ROLE },
        roleRef: ref('ClusterRole', APPROVER_ROLE),
        subjects: user,
      },
    ],
    clusterRole: { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: { name: APPROVER_ROLE }, rules: APPROVER_RULES },
    role: { apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: { name: APPROVER_ROLE, namespace: TOKEN_NAMESPACE }, rules: APPROVER_SECRET_RULES },
    roleBinding: {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: { name: APPROVER_ROLE, namespace: TOKEN_NAMESPACE },
      roleRef: ref('Role', APPROVER_ROLE),
      subjects: user,
    },
  };
}

export function planClusterRole(existing: V1ClusterRole | undefined, desired: V1ClusterRole): PlannedObject<V1ClusterRole> {
  const base = { kind: 'ClusterRole' as const, name: desired.metadata?.name ?? '' };
  if (existing === undefined) return { ...base, action: 'create', body: desired };
  if (sameRules(existing.rules, desired.rules)) return { ...base, action: 'unchanged', body: desired };
  return {
    ...base,
    action: 'update',
    body: { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } },
    note: 'rules differ',
  };
}

/** Reads, decides and (unless dryRun) writes the bound-token objects, in the order they depend on each other. */
export async function prepareBound(api: PrepareApi & AdminClient, dryRun: boolean): Promise<PlannedObject[]> {
  const want = boundObjects();
  const done: PlannedObject[] = [];
  const cr = planClusterRole(await getClusterRole(api, APPROVER_ROLE), want.clusterRole);
  if (!dryRun && cr.action === 'create') await createClusterRole(api, cr.body);
  if (!dryRun && cr.action === 'update') await replaceClusterRole(api, cr.body);
  done.push(cr);
  for (const desired of want.bindings) {
    const plan = planBinding('ClusterRoleBinding', await api.getClusterRoleBinding(desired.metadata!.name!), desired);
    if (!dryRun && plan.action === 'create') await api.createClusterRoleBinding(plan.body);
    if (!dryRun && plan.action === 'update') await api.replaceClusterRoleBinding(plan.body);
    done.push(plan);
  }
  const role = planRole(await api.getRole(TOKEN_NAMESPACE, APPROVER_ROLE), want.role);
  if (!dryRun && role.action === 'create') await api.createRole(role.body);
  if (!dryRun && role.action === 'update') await api.replaceRole(role.body);
  done.push(role);
  const rb = planBinding('RoleBinding', await api.getRoleBinding(TOKEN_NAMESPACE, APPROVER_ROLE), want.roleBinding);
  if (!dryRun && rb.action === 'create') await api.createRoleBinding(rb.body);
  if (!dryRun && rb.action === 'update') await api.replaceRoleBinding(rb.body);
  done.push(rb);
  return done;
}
