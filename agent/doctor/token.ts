import { request, sharedAgent, statusMessage, TransportError } from '../transport/http.js';
import { formatToken } from '../protocol/token.js';
import { fail, pass, remaining, skip, type DoctorContext, type Outcome } from './check.js';

// The token, sent only to a server verified against the pinned CA: does it authenticate
// (SelfSubjectReview), and may it create certificate requests (SelfSubjectAccessReview)?

async function post(ctx: DoctorContext, path: string, body: unknown, caPem: string): Promise<{ status: number; body: string }> {
  return request({
    url: `https://${ctx.endpoint}${path}`,
    method: 'POST',
    agent: sharedAgent({ ca: caPem, proxy: ctx.proxy }),
    bearer: formatToken(ctx.token!),
    body,
    timeoutMs: remaining(ctx),
    signal: ctx.signal,
  });
}

function guard(ctx: DoctorContext): Outcome | string {
  if (!ctx.token) return skip('no token given (--token-file)');
  // docs/protocol.md §3.1: the token goes only to a server verified against the pin.
  if (!ctx.found.pinnedCaPem) return skip('not run: the token is sent only after the pin holds (see the pin check)');
  return ctx.found.pinnedCaPem;
}

export async function checkTokenAuth(ctx: DoctorContext): Promise<Outcome> {
  const ca = guard(ctx);
  if (typeof ca !== 'string') return ca;
  let res;
  try {
    res = await post(ctx, '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, ca);
  } catch (err) {
    if (err instanceof TransportError) return fail('timeout', `cannot ask the API server: ${err.message}`, 'Check the network path to the API server.');
    throw err;
  }
  const evidence = [`POST selfsubjectreviews: HTTP ${res.status}`];
  if (res.status === 401) {
    return fail(
      'token-refused',
      `the API server does not accept token id "${ctx.token!.id}": it is unknown, expired, or lacks the authentication usage`,
      'Create a new token on the control plane ("kubejoin token create") and use it.',
      evidence,
    );
  }
  if (res.status !== 201 && res.status !== 200) {
    return fail(
      'token-refused',
      `the API server answered HTTP ${res.status}${statusMessage(res.body) ? `: ${statusMessage(res.body)}` : ''}`,
      'Check the token with "kubejoin token list" on the control plane.',
      evidence,
    );
  }
  const user = (JSON.parse(res.body) as { status?: { userInfo?: { username?: string; groups?: string[] } } }).status?.userInfo ?? {};
  ctx.found.tokenAuthenticated = true;
  evidence.push(`groups: ${(user.groups ?? []).join(', ')}`);
  return pass(`authenticates as ${user.username ?? '?'}`, evidence);
}

export async function checkCsrRights(ctx: DoctorContext): Promise<Outcome> {
  const ca = guard(ctx);
  if (typeof ca !== 'string') return ca;
  if (!ctx.found.tokenAuthenticated) return skip('not run: the token does not authenticate');
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create' } },
  };
  let res;
  try {
    res = await post(ctx, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', review, ca);
  } catch (err) {
    if (err instanceof TransportError) return fail('timeout', `cannot ask the API server: ${err.message}`, 'Check the network path to the API server.');
    throw err;
  }
  const evidence = [`POST selfsubjectaccessreviews (create certificatesigningrequests): HTTP ${res.status}`];
  if (res.status !== 201 && res.status !== 200)
    return fail('token-refused', `the access review answered HTTP ${res.status}`, 'Check the token with "kubejoin token list".', evidence);
  const status = (JSON.parse(res.body) as { status?: { allowed?: boolean; reason?: string } }).status ?? {};
  if (status.reason) evidence.push(`reason: ${status.reason}`);
  if (!status.allowed) {
    return fail(
      'token-refused',
      `token id "${ctx.token!.id}" authenticates but may not create certificate signing requests`,
      'Bind the token\'s group to the system:node-bootstrapper ClusterRole ("kubejoin cluster prepare" binds system:bootstrappers:kubeadm:default-node-token), or create the token with that group.',
      evidence,
    );
  }
  return pass('may create certificate signing requests', evidence);
}
