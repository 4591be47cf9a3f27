// Who the API server says a bearer token is (a SelfSubjectReview, the same request
// `kubectl auth whoami` makes): status 201 with the user, or 401 for a refused token.
import type { ClusterHandle } from '../harness/index.js';

export interface WhoAmI {
  status: number;
  /** The response body, for assertion messages. */
  text: string;
  username?: string;
  groups?: string[];
}

export async function whoAmI(c: ClusterHandle, token: string): Promise<WhoAmI> {
  const res = await c.request({
    method: 'POST',
    path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    auth: { token },
  });
  if (res.status !== 201) return { status: res.status, text: res.text };
  const info = res.json<{ status: { userInfo: { username: string; groups: string[] } } }>().status.userInfo;
  return { status: res.status, text: res.text, username: info.username, groups: info.groups };
}
