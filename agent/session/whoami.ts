import type { Identity } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { request, statusMessage, TransportError } from '../transport/http.js';
import { GaveUp } from '../transport/retry.js';
import { callApi, transportFailure, type ClusterApi } from './api.js';

// The one SelfSubjectReview (docs/protocol.md §4.7): who the cluster takes a credential for.
// Used after a join (the new certificate), by an already joined machine, by a rotation (the
// new certificate before it replaces the old one), by status, and by the doctor's token check.

const PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

/** The SelfSubjectReview answer's user info; a typed error for anything else (fuzzed). */
export function parseSelfSubjectReview(text: string): Identity {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KubejoinError('internal', 'the SelfSubjectReview answer is not JSON');
  }
  const info = (value as { status?: { userInfo?: { username?: unknown; groups?: unknown } } } | null)?.status?.userInfo;
  const username = typeof info?.username === 'string' ? info.username : '';
  const groups = Array.isArray(info?.groups) ? info.groups.filter((g): g is string => typeof g === 'string') : [];
  return { username, groups };
}

/** What the cluster said: who we are, that it could not be reached (with the typed error), or that it refused the credential. */
export type ClusterAnswer<T> =
  { kind: 'ok'; value: T } | { kind: 'unreachable'; message: string; error: unknown } | { kind: 'refused'; status: number; message: string };

/**
 * SelfSubjectReview with the session's credential (its agent's client certificate, or its
 * bearer token). Transient failures are retried as the session says (`retryUntil`, `signal`);
 * never throws for an unreachable or refusing cluster: the answer says which.
 */
export async function whoAmI(api: ClusterApi): Promise<ClusterAnswer<Identity>> {
  let res;
  try {
    res = await callApi(api, 'asking who this credential is', () =>
      request({
        url: `${api.server}${PATH}`,
        method: 'POST',
        agent: api.agent,
        ...(api.bearer !== undefined ? { bearer: api.bearer } : {}),
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        timeoutMs: api.timeoutMs,
        what: 'the SelfSubjectReview answer',
        ...(api.signal ? { signal: api.signal } : {}),
      }),
    );
  } catch (err) {
    if (!(err instanceof TransportError || err instanceof GaveUp)) {
      const typed = transportFailure(err, api.server);
      if (typed === err) throw err;
      return { kind: 'unreachable', message: (typed as Error).message, error: typed };
    }
    const error = transportFailure(err, api.server);
    return { kind: 'unreachable', message: `cannot reach ${api.server}: ${err.message}`, error };
  }
  const detail = statusMessage(res.body);
  const message = `HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
  if (res.status === 401 || res.status === 403) return { kind: 'refused', status: res.status, message };
  if (res.status !== 200 && res.status !== 201) {
    return { kind: 'unreachable', message: `the API server answered ${message}`, error: new KubejoinError('timeout', `the API server answered ${message}`) };
  }
  return { kind: 'ok', value: parseSelfSubjectReview(res.body) };
}

/**
 * The credential must be accepted as `expected` (`system:node:<name>`): its identity, or a
 * typed error naming `what` ("the new certificate", "the stored credential").
 */
export async function proveIdentity(api: ClusterApi, expected: string, what: string, suffix = ''): Promise<Identity> {
  const who = await whoAmI(api);
  if (who.kind === 'unreachable') {
    const err = who.error;
    if (err instanceof KubejoinError)
      throw new KubejoinError(err.category, `cannot verify ${what}: ${err.message}${suffix}`, err.hint ? { hint: err.hint } : {});
    throw err;
  }
  if (who.kind === 'refused') throw new KubejoinError('certificate-denied', `the API server does not accept ${what} (${who.message})${suffix}`);
  if (who.value.username !== expected) {
    throw new KubejoinError('certificate-denied', `the cluster sees ${what} as "${who.value.username}", expected "${expected}"${suffix}`);
  }
  return who.value;
}
