import { KubejoinError } from '../errors.js';
import { request, statusMessage } from '../transport/http.js';
import { callApi, transportFailure, type ClusterApi } from '../session/index.js';
import { CSR_PATH, parseCsrObject, SIGNER_NAME, USAGES, type CsrObject } from './api.js';
import type { ClientKey } from './key.js';
import { csrName } from './name.js';
import { createCsrPem, parseCsrPem, type Subject } from './pkcs10.js';

export interface RequestedCsr {
  name: string;
  uid: string;
  resourceVersion: string;
  /** True when an earlier run's CSR (same key, same subject) was found and reused. */
  reused: boolean;
  /** Already in its final state when found (reuse). */
  object: CsrObject;
}

/** Maps 401/403 with the bootstrap token to "token refused" (exit 4). */
export function refusal(status: number, body: string, what: string): KubejoinError | undefined {
  const detail = statusMessage(body);
  if (status === 401) {
    return new KubejoinError(
      'token-refused',
      `the API server refused the bootstrap token while ${what} (HTTP 401 Unauthorized): it is unknown, expired, or lacks the authentication usage`,
      {
        hint: 'Create a new token with "kubejoin token create" (usages signing,authentication) and join again.',
      },
    );
  }
  if (status === 403) {
    return new KubejoinError('token-refused', `the token's identity may not do this while ${what} (HTTP 403 Forbidden)${detail ? `: ${detail}` : ''}`, {
      hint: 'Give the token a group bound to system:node-bootstrapper (kubeadm\'s default group is system:bootstrappers:kubeadm:default-node-token), or run "kubejoin cluster prepare".',
    });
  }
  return undefined;
}

/**
 * Creates the CSR under its deterministic name, or finds the one an earlier run made
 * and checks it is compatible (subject, signer, signed by our key) before reusing it.
 */
export async function requestCertificate(api: ClusterApi, key: ClientKey, subject: Subject, opts: { expirationSeconds?: number } = {}): Promise<RequestedCsr> {
  const name = csrName(key.spki, subject, USAGES);
  const pem = createCsrPem(key, subject);
  const body = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: SIGNER_NAME,
      usages: [...USAGES],
      ...(opts.expirationSeconds !== undefined ? { expirationSeconds: opts.expirationSeconds } : {}),
    },
  };
  const common = { agent: api.agent, bearer: api.bearer, timeoutMs: api.timeoutMs, ...(api.signal ? { signal: api.signal } : {}) };
  try {
    // A create whose answer was lost is retried; the name is deterministic, so a retry that
    // finds it (409) reuses it below: exactly one CSR whatever the network did.
    const created = await callApi(api, 'creating the certificate signing request', () =>
      request({ ...common, url: `${api.server}${CSR_PATH}`, method: 'POST', body, what: 'the created certificate signing request' }),
    );
    if (created.status === 201 || created.status === 200) {
      const obj = parseCsrObject(created.body, 'the created certificate signing request');
      return { name, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, reused: false, object: obj };
    }
    const refused = refusal(created.status, created.body, 'creating the certificate signing request');
    if (refused) throw refused;
    if (created.status !== 409) {
      throw new KubejoinError(
        'internal',
        `unexpected answer to the certificate signing request (HTTP ${created.status}): ${statusMessage(created.body) ?? created.body.slice(0, 200)}`,
      );
    }
    const found = await callApi(api, 'reading the existing certificate signing request', () =>
      request({ ...common, url: `${api.server}${CSR_PATH}/${name}`, what: 'the certificate signing request' }),
    );
    const refusedGet = refusal(found.status, found.body, 'reading the existing certificate signing request');
    if (refusedGet) throw refusedGet;
    if (found.status !== 200) {
      throw new KubejoinError('internal', `the certificate signing request ${name} exists but cannot be read (HTTP ${found.status})`);
    }
    const obj = parseCsrObject(found.body, `the certificate signing request ${name}`);
    ensureCompatible(obj, key, subject);
    return { name, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, reused: true, object: obj };
  } catch (err) {
    throw transportFailure(err, api.server);
  }
}

/** The kubelet's ensureCompatible: same subject and signer, and the request is signed by our key. */
export function ensureCompatible(obj: CsrObject, key: ClientKey, subject: Subject): void {
  const incompatible = (why: string): KubejoinError =>
    new KubejoinError('certificate-denied', `a certificate signing request named ${obj.metadata.name} already exists but was not made by this key: ${why}`, {
      hint: `Delete it with "kubectl delete csr ${obj.metadata.name}" if it is stale, and join again.`,
    });
  if (obj.spec.signerName !== SIGNER_NAME) throw incompatible(`its signer is ${obj.spec.signerName}`);
  let parsed;
  try {
    parsed = parseCsrPem(Buffer.from(obj.spec.request, 'base64').toString('utf8'));
  } catch {
    throw incompatible('its request cannot be parsed');
  }
  if (parsed.subject.commonName !== subject.commonName || parsed.subject.organizations.join('\0') !== subject.organizations.join('\0')) {
    throw incompatible(`its subject is CN=${parsed.subject.commonName}`);
  }
  if (!parsed.spki.equals(key.spki) || !parsed.signatureValid) throw incompatible('its public key or signature differs');
}
