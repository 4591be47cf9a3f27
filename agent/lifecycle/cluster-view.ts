import type { Identity } from '../contract/index.js';
import { CSR_PATH, csrState, type CsrObject } from '../csr/api.js';
import { createAgent, request, statusMessage, TransportError, type TrustAgent } from '../transport/http.js';
import type { CertAndKey } from '../store/installed.js';
import type { ClusterRef } from '../store/types.js';

// What the cluster says about the stored credential, asked with that credential (mTLS):
// who it is (SelfSubjectReview) and how a certificate request stands. Never throws for
// an unreachable or refusing cluster: the answer says which.

export type ClusterAnswer<T> = { kind: 'ok'; value: T } | { kind: 'unreachable'; message: string } | { kind: 'refused'; status: number; message: string };

export interface NodeSession {
  server: string;
  agent: TrustAgent;
  timeoutMs: number;
  signal?: AbortSignal;
  close(): void;
}

export function nodeSession(cluster: ClusterRef, credential: CertAndKey, opts: { timeoutMs: number; signal?: AbortSignal }): NodeSession {
  const agent = createAgent({ ca: cluster.caPem, cert: credential.certPem, key: credential.keyPem });
  return { server: cluster.server, agent, timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}), close: () => agent.destroy() };
}

async function call(session: NodeSession, path: string, method: 'GET' | 'POST', body?: unknown): Promise<ClusterAnswer<{ status: number; body: string }>> {
  try {
    const res = await request({
      url: `${session.server}${path}`,
      method,
      agent: session.agent,
      timeoutMs: session.timeoutMs,
      ...(body ? { body } : {}),
      ...(session.signal ? { signal: session.signal } : {}),
    });
    if (res.status === 401 || res.status === 403) {
      return { kind: 'refused', status: res.status, message: `HTTP ${res.status}${statusMessage(res.body) ? `: ${statusMessage(res.body)}` : ''}` };
    }
    return { kind: 'ok', value: res };
  } catch (err) {
    if (err instanceof TransportError) return { kind: 'unreachable', message: `cannot reach ${session.server}: ${err.message}` };
    throw err;
  }
}

/** SelfSubjectReview: who the cluster takes this credential for. */
export async function whoIsThis(session: NodeSession): Promise<ClusterAnswer<Identity>> {
  const answer = await call(session, '/apis/authentication.k8s.io/v1/selfsubjectreviews', 'POST', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
  if (answer.kind !== 'ok') return answer;
  const { status, body } = answer.value;
  if (status !== 200 && status !== 201)
    return { kind: 'unreachable', message: `the API server answered HTTP ${status}${statusMessage(body) ? `: ${statusMessage(body)}` : ''}` };
  const info = (JSON.parse(body) as { status?: { userInfo?: { username?: string; groups?: string[] } } }).status?.userInfo;
  return { kind: 'ok', value: { username: info?.username ?? '', groups: info?.groups ?? [] } };
}

export type CsrStanding = 'pending' | 'approved' | 'issued' | 'denied' | 'failed' | 'not-found';

/** How the certificate request `name` stands. */
export async function csrStanding(session: NodeSession, name: string): Promise<ClusterAnswer<CsrStanding>> {
  const answer = await call(session, `${CSR_PATH}/${encodeURIComponent(name)}`, 'GET');
  if (answer.kind !== 'ok') return answer;
  if (answer.value.status === 404) return { kind: 'ok', value: 'not-found' };
  if (answer.value.status !== 200) return { kind: 'unreachable', message: `reading ${name}: HTTP ${answer.value.status}` };
  return { kind: 'ok', value: csrState(JSON.parse(answer.value.body) as CsrObject).kind };
}
