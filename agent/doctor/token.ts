import { checkSignature as diagnoseSignature, planDiscovery, type VerifiedCluster } from '../discovery/index.js';
import { KubejoinError } from '../errors.js';
import { formatToken } from '../protocol/token.js';
import { verifyDetached } from '../protocol/jws.js';
import { bootstrapSession, callApi, whoAmI, type ClusterApi } from '../session/index.js';
import { request, sharedAgent, statusMessage, TransportError } from '../transport/http.js';
import { fail, pass, remaining, skip, type DoctorContext, type Outcome } from './check.js';

// The token: its signature over cluster-info, and, only once discovery's own steps have proven
// the server (a VerifiedCluster: the JWS verified, a pin selected the CA, the server verified
// against it and served the same cluster-info), whether it authenticates (SelfSubjectReview)
// and may create certificate requests (SelfSubjectAccessReview). Nothing secret is ever sent
// to a server that is not a VerifiedCluster (docs/protocol.md §3.1).

export async function checkSignature(ctx: DoctorContext): Promise<Outcome> {
  const info = ctx.found.clusterInfo;
  if (!info) return skip('not run: cluster-info could not be read');
  if (!ctx.token) return skip('no token given (--token-file): the signature for it cannot be checked');
  const { id, secret } = ctx.token;
  const signature = info.signatureOf(id);
  if (!signature) {
    return fail(
      'token-refused',
      `cluster-info has no signature for token id "${id}": the token is unknown, expired, or lacks the signing usage`,
      'Create a new token ("kubejoin token create"); on a cluster without the BootstrapSigner, run "kubejoin cluster sign".',
    );
  }
  if (!verifyDetached(info.kubeconfig, signature, id, secret)) {
    // The join's own diagnosis: a wrong secret, or a copy changed on the way (agent/discovery/signature.ts).
    try {
      await diagnoseSignature(ctx.endpoint, { kubeconfig: info.kubeconfig, signature }, ctx.token, ctx.pins, {
        agentFor: (ca) => sharedAgent({ ca, proxy: ctx.proxy }),
        timeoutMs: remaining(ctx),
        signal: ctx.signal,
      });
    } catch (err) {
      if (!(err instanceof KubejoinError)) throw err;
      return fail(err.category, err.message, err.hint ?? 'Check the token.');
    }
  }
  ctx.found.signed = true;
  return pass(`signed for token id "${id}", and the signature matches the token`);
}

/** Discovery's own four steps, once each, within the doctor's bound: the only way to a VerifiedCluster. */
async function proveCluster(ctx: DoctorContext): Promise<VerifiedCluster | Outcome> {
  if (!ctx.token) return skip('no token given (--token-file)');
  if (!ctx.found.signed) return skip('not run: the token is sent only to a verified cluster, and the signature check did not pass (see above)');
  if (!ctx.found.pinHolds) return skip('not run: the token is sent only after the pin holds (see the pin check)');
  if (ctx.found.verified) return ctx.found.verified;
  const discovery = planDiscovery(
    { kind: 'token', endpoint: ctx.endpoint, token: ctx.token, pins: ctx.pins, unsafeSkipCaVerification: false },
    { signal: ctx.signal, timeoutMs: remaining(ctx), requestTimeoutMs: remaining(ctx), proxy: ctx.proxy, delayMs: () => 100 },
  );
  try {
    for (const step of discovery.steps) await step.run(() => undefined);
    ctx.found.verified = discovery.result();
    return ctx.found.verified;
  } catch (err) {
    const e = err instanceof KubejoinError ? err : undefined;
    return fail(
      e?.category ?? 'internal',
      `discovery did not verify the cluster: ${(err as Error).message}`,
      e?.hint ?? 'Run "kubejoin join" to see the step that fails.',
    );
  }
}

function api(ctx: DoctorContext, cluster: VerifiedCluster): ClusterApi {
  return bootstrapSession(cluster, formatToken(ctx.token!), { timeoutMs: remaining(ctx), signal: ctx.signal, retryUntil: Date.now() });
}

export async function checkTokenAuth(ctx: DoctorContext): Promise<Outcome> {
  const cluster = await proveCluster(ctx);
  if (!('server' in cluster)) return cluster;
  const who = await whoAmI(api(ctx, cluster));
  if (who.kind === 'unreachable') return fail('timeout', `cannot ask the API server: ${who.message}`, 'Check the network path to the API server.');
  const evidence = [`POST selfsubjectreviews: ${who.kind === 'refused' ? who.message : 'HTTP 201'}`];
  if (who.kind === 'refused' && who.status === 401) {
    return fail(
      'token-refused',
      `the API server does not accept token id "${ctx.token!.id}": it is unknown, expired, or lacks the authentication usage`,
      'Create a new token on the control plane ("kubejoin token create") and use it.',
      evidence,
    );
  }
  if (who.kind === 'refused')
    return fail('token-refused', `the API server answered ${who.message}`, 'Check the token with "kubejoin token list" on the control plane.', evidence);
  ctx.found.tokenAuthenticated = true;
  evidence.push(`groups: ${who.value.groups.join(', ')}`);
  return pass(`authenticates as ${who.value.username || '?'}`, evidence);
}

export async function checkCsrRights(ctx: DoctorContext): Promise<Outcome> {
  const cluster = await proveCluster(ctx);
  if (!('server' in cluster)) return cluster;
  if (!ctx.found.tokenAuthenticated) return skip('not run: the token does not authenticate');
  const review = {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create' } },
  };
  const session = api(ctx, cluster);
  let res;
  try {
    res = await callApi(session, 'the access review', () =>
      request({
        url: `${session.server}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`,
        method: 'POST',
        agent: session.agent,
        bearer: session.bearer!,
        body: review,
        timeoutMs: session.timeoutMs,
        signal: ctx.signal,
      }),
    );
  } catch (err) {
    if (err instanceof TransportError) return fail('timeout', `cannot ask the API server: ${err.message}`, 'Check the network path to the API server.');
    throw err;
  }
  const evidence = [`POST selfsubjectaccessreviews (create certificatesigningrequests): HTTP ${res.status}`];
  if (res.status !== 201 && res.status !== 200)
    return fail(
      'token-refused',
      `the access review answered HTTP ${res.status}${statusMessage(res.body) ? `: ${statusMessage(res.body)}` : ''}`,
      'Check the token with "kubejoin token list".',
      evidence,
    );
  let status: { allowed?: boolean; reason?: string } = {};
  try {
    status = (JSON.parse(res.body) as { status?: { allowed?: boolean; reason?: string } } | null)?.status ?? {};
  } catch {
    return fail('internal', 'the access review answer is not JSON', 'Check that the endpoint is the API server.', evidence);
  }
  if (typeof status.reason === 'string') evidence.push(`reason: ${status.reason}`);
  if (status.allowed !== true) {
    return fail(
      'token-refused',
      `token id "${ctx.token!.id}" authenticates but may not create certificate signing requests`,
      'Bind the token\'s group to the system:node-bootstrapper ClusterRole ("kubejoin cluster prepare" binds system:bootstrappers:kubeadm:default-node-token), or create the token with that group.',
      evidence,
    );
  }
  return pass('may create certificate signing requests', evidence);
}
