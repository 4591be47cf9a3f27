import type { V1CertificateSigningRequest, V1ClusterRole } from '@kubernetes/client-node';
import type { AdminClient } from './client.js';
import { BOUND_LABEL, KUBELET_CLIENT_SIGNER } from './bound.js';
import { TOKEN_SECRET_TYPE } from '../protocol/token.js';
import { TOKEN_NAMESPACE, type SecretLike } from './token-secret.js';
import type { CsrCondition, CsrLike } from './approve-decide.js';
import { apiFailureOf, type ApiOp } from './rbac-errors.js';
import { listed, type Listed } from './watch.js';

// The API calls of the approver and of `cluster prepare --bound-tokens`, on top of AdminClient
// (bounded by --request-timeout; failures become sentences naming verb and resource).

const CSRS = 'certificatesigningrequests.certificates.k8s.io';
const RBAC = 'rbac.authorization.k8s.io';

/** Every CSR for the kubelet client signer (the only ones the approver may own). */
export async function listKubeletCsrs(client: AdminClient): Promise<Listed<CsrLike>> {
  const list = await client.call({ verb: 'list', resource: CSRS }, () =>
    client.certificates.listCertificateSigningRequest({ fieldSelector: `spec.signerName=${KUBELET_CLIENT_SIGNER}` }),
  );
  return listed<CsrLike>(list);
}

/** The Secrets of bound tokens (labelled by `token create --node-name`): one call per pass, not one per token. */
export async function listBoundTokenSecrets(client: AdminClient): Promise<SecretLike[]> {
  const list = await client.call({ verb: 'list', resource: 'secrets', namespace: TOKEN_NAMESPACE }, () =>
    client.core.listNamespacedSecret({ namespace: TOKEN_NAMESPACE, fieldSelector: `type=${TOKEN_SECRET_TYPE}`, labelSelector: `${BOUND_LABEL}=true` }),
  );
  return list.items as SecretLike[];
}

export async function getCsr(client: AdminClient, name: string): Promise<CsrLike | undefined> {
  return (await client.maybe({ verb: 'get', resource: CSRS, name }, () => client.certificates.readCertificateSigningRequest({ name }))) as CsrLike | undefined;
}

/**
 * Adds an Approved or Denied condition through the approval subresource, with the CSR's
 * resourceVersion as a precondition: 'changed' when someone else wrote it since it was read
 * (it is looked at again), 'gone' when it was deleted.
 */
export async function setCondition(client: AdminClient, csr: CsrLike, condition: CsrCondition): Promise<'done' | 'changed' | 'gone'> {
  const name = csr.metadata?.name ?? '';
  const body = {
    ...csr,
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), { ...condition, status: 'True', lastUpdateTime: new Date() }] },
  } as V1CertificateSigningRequest;
  const op: ApiOp = { verb: 'update', resource: `${CSRS}/approval`, name };
  try {
    await client.bounded(op, () => client.certificates.replaceCertificateSigningRequestApproval({ name, body }));
    return 'done';
  } catch (err) {
    const status = apiFailureOf(err).status;
    if (status === 409) return 'changed';
    if (status === 404) return 'gone';
    throw await client.explain(err, op);
  }
}

export function getClusterRole(client: AdminClient, name: string): Promise<V1ClusterRole | undefined> {
  return client.maybe({ verb: 'get', resource: `clusterroles.${RBAC}`, name }, () => client.rbac.readClusterRole({ name }));
}

export function createClusterRole(client: AdminClient, body: V1ClusterRole): Promise<V1ClusterRole> {
  return client.call({ verb: 'create', resource: `clusterroles.${RBAC}`, name: body.metadata?.name ?? '' }, () => client.rbac.createClusterRole({ body }));
}

export function replaceClusterRole(client: AdminClient, body: V1ClusterRole): Promise<V1ClusterRole> {
  const name = body.metadata?.name ?? '';
  return client.call({ verb: 'update', resource: `clusterroles.${RBAC}`, name }, () => client.rbac.replaceClusterRole({ name, body }));
}
