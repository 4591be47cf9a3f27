import { CSR_PATH, csrState, parseCsrObject } from '../csr/api.js';
import { request, TransportError } from '../transport/http.js';
import type { ClusterAnswer, ClusterApi } from '../session/index.js';

// How a certificate request stands, asked with the node's own session. Never throws for an
// unreachable or refusing cluster: the answer says which.

export type CsrStanding = 'pending' | 'approved' | 'issued' | 'denied' | 'failed' | 'not-found';

/** How the certificate request `name` stands. */
export async function csrStanding(session: ClusterApi, name: string): Promise<ClusterAnswer<CsrStanding>> {
  let res;
  try {
    res = await request({
      url: `${session.server}${CSR_PATH}/${encodeURIComponent(name)}`,
      agent: session.agent,
      timeoutMs: session.timeoutMs,
      what: `the certificate signing request ${name}`,
      ...(session.signal ? { signal: session.signal } : {}),
    });
  } catch (err) {
    if (err instanceof TransportError) return { kind: 'unreachable', message: `cannot reach ${session.server}: ${err.message}`, error: err };
    throw err;
  }
  if (res.status === 401 || res.status === 403) return { kind: 'refused', status: res.status, message: `HTTP ${res.status}` };
  if (res.status === 404) return { kind: 'ok', value: 'not-found' };
  if (res.status !== 200) return { kind: 'unreachable', message: `reading ${name}: HTTP ${res.status}`, error: undefined };
  try {
    return { kind: 'ok', value: csrState(parseCsrObject(res.body, `the certificate signing request ${name}`)).kind };
  } catch (err) {
    return { kind: 'unreachable', message: (err as Error).message, error: err };
  }
}
