import type { X509Certificate } from 'node:crypto';
import { describeSkew, isSkewed, MAX_SKEW_MS, readServerDate, describeDuration, CLOCK_HINT } from '../protocol/clock-skew.js';
import { verifyDetached } from '../protocol/jws.js';
import { clusterOf } from '../protocol/kubeconfig.js';
import { certificatesOf, pinOf } from '../protocol/pin.js';
import { request, sharedAgent, TransportError } from '../transport/http.js';
import { fail, pass, remaining, skip, warn, type DoctorContext, type Outcome } from './check.js';
import { describeCert, handshake, nameFix, nameProblem } from './tls.js';

// What an anonymous client learns (clock, cluster-info, its signature) and whether the pin
// holds: the cluster-info CA matches a pin and the endpoint's TLS verifies against it.

const CLUSTER_INFO = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

function anonymousGet(ctx: DoctorContext, path: string): ReturnType<typeof request> {
  return request({
    url: `https://${ctx.endpoint}${path}`,
    agent: sharedAgent({ insecure: true, proxy: ctx.proxy }),
    timeoutMs: remaining(ctx),
    signal: ctx.signal,
  });
}

const validAt = (c: X509Certificate, at: number): boolean => at >= Date.parse(c.validFrom) && at <= Date.parse(c.validTo);

export async function checkClock(ctx: DoctorContext): Promise<Outcome> {
  let res;
  try {
    res = await anonymousGet(ctx, '/version');
  } catch (err) {
    if (err instanceof TransportError) return skip(`the server's Date could not be read: ${err.message}`);
    throw err;
  }
  const reading = readServerDate(res.date);
  if (!reading) return skip('the server sent no Date header: the clock cannot be compared');
  ctx.found.clock = reading;
  const evidence = [`device ${new Date(reading.deviceAt).toISOString()}, server Date: ${res.date ?? ''}`];
  if (Math.abs(reading.skewMs) <= MAX_SKEW_MS)
    return pass(`this device's clock is within ${describeDuration(Math.max(1000, Math.abs(reading.skewMs)))} of the API server's`, evidence);
  const leaf = ctx.found.chain?.[0];
  if (leaf && !validAt(leaf, reading.deviceAt) && validAt(leaf, reading.serverAt)) {
    return fail(
      'clock',
      `${describeSkew(reading)}, so the server's certificate looks ${reading.deviceAt < Date.parse(leaf.validFrom) ? 'not valid yet' : 'expired'} to it`,
      CLOCK_HINT,
      [...evidence, `server certificate: ${describeCert(leaf)}`],
    );
  }
  return warn(`${describeSkew(reading)}: more than ${MAX_SKEW_MS / 60_000} minutes`, CLOCK_HINT, evidence);
}

export async function checkClusterInfo(ctx: DoctorContext): Promise<Outcome> {
  let res;
  try {
    res = await anonymousGet(ctx, CLUSTER_INFO);
  } catch (err) {
    if (err instanceof TransportError) return fail('timeout', `cannot read cluster-info: ${err.message}`, 'Check the network path to the API server.');
    throw err;
  }
  const evidence = [`GET ${CLUSTER_INFO} (anonymous): HTTP ${res.status}`];
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    return fail(
      'untrusted-cluster',
      res.status === 404 ? 'kube-public/cluster-info does not exist' : `anonymous read of kube-public/cluster-info is not allowed (HTTP ${res.status})`,
      'Run "kubejoin cluster prepare" (or kubeadm\'s bootstrap-token phase) against the cluster.',
      evidence,
    );
  }
  if (res.status !== 200)
    return fail('timeout', `the server answered HTTP ${res.status}`, 'Check that the endpoint is the API server and that it is healthy.', evidence);
  let data: Record<string, string> = {};
  try {
    data = (JSON.parse(res.body) as { data?: Record<string, string> }).data ?? {};
  } catch {
    return fail('untrusted-cluster', 'cluster-info is not JSON', 'Check that the endpoint is the API server.', evidence);
  }
  const kubeconfig = data.kubeconfig;
  if (typeof kubeconfig !== 'string')
    return fail('untrusted-cluster', 'cluster-info has no "kubeconfig" key', 'Run "kubejoin cluster prepare" against the cluster.', evidence);
  const signatures = Object.fromEntries(
    Object.entries(data)
      .filter(([k]) => k.startsWith('jws-kubeconfig-'))
      .map(([k, v]) => [k.slice('jws-kubeconfig-'.length), v]),
  );
  ctx.found.clusterInfo = { kubeconfig, signatures };
  let server = '?';
  try {
    server = clusterOf(kubeconfig, 'cluster-info').server;
  } catch (err) {
    return fail(
      'untrusted-cluster',
      `the kubeconfig in cluster-info cannot be read: ${(err as Error).message}`,
      'Run "kubejoin cluster prepare" to rewrite it.',
      evidence,
    );
  }
  const ids = Object.keys(signatures);
  const listed = ids.length > 8 ? `${ids.slice(0, 8).join(', ')} and ${ids.length - 8} more` : ids.join(', ') || '(none)';
  evidence.push(`server in it: ${server}`, `signed for token ids: ${listed}`);
  return pass('readable anonymously', evidence);
}

export async function checkSignature(ctx: DoctorContext): Promise<Outcome> {
  const info = ctx.found.clusterInfo;
  if (!info) return skip('not run: cluster-info could not be read');
  if (!ctx.token) return skip('no token given (--token-file): the signature for it cannot be checked');
  const { id, secret } = ctx.token;
  const signature = info.signatures[id];
  if (!signature) {
    return fail(
      'token-refused',
      `cluster-info has no signature for token id "${id}": the token is unknown, expired, or lacks the signing usage`,
      'Create a new token ("kubejoin token create"); on a cluster without the BootstrapSigner, run "kubejoin cluster sign".',
    );
  }
  if (!verifyDetached(info.kubeconfig, signature, id, secret)) {
    return fail(
      'untrusted-cluster',
      `the signature for token id "${id}" does not match: the token secret is wrong, or cluster-info was changed on the way`,
      'Check that the token is exactly the one printed by "kubejoin token create"; if it is, someone may be intercepting the connection.',
    );
  }
  return pass(`signed for token id "${id}", and the signature matches the token`);
}

export async function checkPin(ctx: DoctorContext): Promise<Outcome> {
  const info = ctx.found.clusterInfo;
  if (!info) return skip('not run: cluster-info could not be read');
  let caPem: string;
  let cas: X509Certificate[];
  try {
    caPem = clusterOf(info.kubeconfig, 'cluster-info').caPem;
    cas = certificatesOf(caPem);
  } catch (err) {
    return fail(
      'untrusted-cluster',
      `the CA in cluster-info cannot be read: ${(err as Error).message}`,
      'Run "kubejoin cluster prepare" to rewrite cluster-info.',
    );
  }
  const hashes = cas.map((c) => pinOf(c));
  const evidence = [`CA hashes in cluster-info: ${hashes.join(', ')}`];
  if (ctx.pins.size === 0) {
    return warn(
      'no --discovery-token-ca-cert-hash given: the cluster cannot be verified, and the token is not sent',
      'Pass the pin printed on the control plane ("kubejoin ca-hash"); compare it with the hashes above.',
      evidence,
    );
  }
  const match = ctx.pins.matchAny(cas);
  if (!match) {
    return fail(
      'untrusted-cluster',
      'no CA in cluster-info matches the given --discovery-token-ca-cert-hash',
      'Check the hash on the control plane with "kubejoin ca-hash"; if it differs from the one you were given, do not trust this server.',
      evidence,
    );
  }
  evidence.push(`matches ${pinOf(match)}`);
  let hs;
  try {
    hs = await handshake(ctx, caPem);
  } catch (err) {
    return fail('timeout', `no verified TLS handshake with ${ctx.endpoint}: ${(err as Error).message}`, 'Check the network path to the API server.', evidence);
  }
  const leaf = hs.chain[0];
  const problem = hs.authorizationError ?? (leaf ? nameProblem(leaf, ctx.host) : 'no certificate');
  if (problem) {
    if (leaf) evidence.push(`server certificate: ${describeCert(leaf)}`);
    const timeCode = /CERT_NOT_YET_VALID|CERT_HAS_EXPIRED/.test(problem);
    if (timeCode && isSkewed(ctx.found.clock)) {
      return fail('clock', `${describeSkew(ctx.found.clock)}, so the server's certificate fails verification (${problem})`, CLOCK_HINT, evidence);
    }
    if (!hs.authorizationError && leaf) {
      return fail('untrusted-cluster', `the CA matches a pin and signed the server's certificate, but ${problem}`, nameFix(leaf), evidence);
    }
    return fail(
      'untrusted-cluster',
      `the CA matches a pin, but ${ctx.endpoint} does not verify against it (${problem})${ctx.via ? ': the proxy may intercept TLS' : ''}`,
      ctx.via
        ? 'A proxy that intercepts TLS cannot be used to join: exempt the API server with NO_PROXY, or have the proxy pass it through (CONNECT without inspection).'
        : 'The server is not the cluster the pin names (or its certificate is not issued by that CA): do not trust it.',
      evidence,
    );
  }
  ctx.found.pinnedCaPem = caPem;
  return pass(`the cluster CA matches ${pinOf(match)} and ${ctx.endpoint} verifies against it`, evidence);
}
