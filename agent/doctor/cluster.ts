import type { X509Certificate } from 'node:crypto';
import { describeSkew, isSkewed, MAX_SKEW_MS, readServerDate, describeDuration, CLOCK_HINT } from '../protocol/clock-skew.js';
import { clusterOf } from '../protocol/kubeconfig.js';
import { PinSet, pinOf } from '../protocol/pin.js';
import { getClusterInfo, parseClusterInfo, validateClusterCA } from '../discovery/index.js';
import { KubejoinError } from '../errors.js';
import { request, sharedAgent, TransportError } from '../transport/http.js';
import { fail, pass, remaining, skip, warn, type DoctorContext, type Outcome } from './check.js';
import { describeCert, handshake, nameFix, nameProblem } from './tls.js';

// What an anonymous client learns (clock, cluster-info) and whether the pin holds: one CA in
// cluster-info matches a pin and the endpoint's TLS verifies against the trusted CAs. The
// reading and the pin rule are discovery's own (agent/discovery): an unauthenticated bundle is
// trusted only through the certificates that matched a pin, never whole.

const validAt = (c: X509Certificate, at: number): boolean => at >= Date.parse(c.validFrom) && at <= Date.parse(c.validTo);

export async function checkClock(ctx: DoctorContext): Promise<Outcome> {
  let res;
  try {
    res = await request({
      url: `https://${ctx.endpoint}/version`,
      agent: sharedAgent({ insecure: true, proxy: ctx.proxy }),
      timeoutMs: remaining(ctx),
      signal: ctx.signal,
    });
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
    res = await getClusterInfo(ctx.endpoint, sharedAgent({ insecure: true, proxy: ctx.proxy }), { timeoutMs: remaining(ctx), signal: ctx.signal });
  } catch (err) {
    if (err instanceof KubejoinError) return fail(err.category, err.message, err.hint ?? 'Check that the endpoint is the API server.');
    if (err instanceof TransportError) return fail('timeout', `cannot read cluster-info: ${err.message}`, 'Check the network path to the API server.');
    throw err;
  }
  const evidence = [`GET kube-public/cluster-info (anonymous): HTTP ${res.status}`];
  const answer = parseClusterInfo(res);
  if (answer.kind !== 'ok') {
    return answer.kind === 'unprepared'
      ? fail('untrusted-cluster', answer.reason, 'Run "kubejoin cluster prepare" (or kubeadm\'s bootstrap-token phase) against the cluster.', evidence)
      : fail('timeout', answer.reason, 'Check that the endpoint is the API server and that it is healthy.', evidence);
  }
  ctx.found.clusterInfo = answer.data;
  let server: string;
  try {
    server = clusterOf(answer.data.kubeconfig, 'cluster-info').server;
  } catch (err) {
    return fail(
      'untrusted-cluster',
      `the kubeconfig in cluster-info cannot be read: ${(err as Error).message}`,
      'Run "kubejoin cluster prepare" to rewrite it.',
      evidence,
    );
  }
  const ids = answer.data.signedIds();
  const listed = ids.length > 8 ? `${ids.slice(0, 8).join(', ')} and ${ids.length - 8} more` : ids.join(', ') || '(none)';
  evidence.push(`server in it: ${server}`, `signed for token ids: ${listed}`);
  return pass('readable anonymously', evidence);
}

/** The pin, with a handshake verified against the CAs the pin rule trusts (evidence for the operator). */
export async function checkPin(ctx: DoctorContext): Promise<Outcome> {
  const info = ctx.found.clusterInfo;
  if (!info) return skip('not run: cluster-info could not be read');
  if (ctx.pins.size === 0) {
    let hashes = '';
    try {
      hashes = validateClusterCA(info.kubeconfig, ctx.pins, true, true)
        .all.map((c) => pinOf(c))
        .join(', ');
    } catch (err) {
      return fail('untrusted-cluster', (err as Error).message, 'Run "kubejoin cluster prepare" to rewrite cluster-info.');
    }
    return warn(
      'no --discovery-token-ca-cert-hash given: the cluster cannot be verified, and the token is not sent',
      'Pass the pin printed on the control plane ("kubejoin ca-hash"); compare it with the hashes above.',
      [`CA hashes in cluster-info: ${hashes}`],
    );
  }
  let pinned;
  try {
    // Trusted whole only when the token's JWS over it verified (ctx.found.signed).
    pinned = validateClusterCA(info.kubeconfig, ctx.pins, false, ctx.found.signed === true);
  } catch (err) {
    const e = err as KubejoinError;
    const summary = /matches the given/.test(e.message) ? 'no CA in cluster-info matches the given --discovery-token-ca-cert-hash' : e.message;
    return fail(e.category ?? 'untrusted-cluster', summary, e.hint ?? 'Run "kubejoin cluster prepare" to rewrite cluster-info.', [
      `CA hashes in cluster-info: ${safeHashes(info.kubeconfig)}`,
    ]);
  }
  const evidence = [`CA hashes in cluster-info: ${pinned.all.map((c) => pinOf(c)).join(', ')}`, `matches ${pinned.matchedPin}`];
  if (!ctx.found.signed)
    evidence.push(`trusted: only the ${pinned.certs.length} certificate(s) that matched (cluster-info is not authenticated by a token here)`);
  return verifiedHandshake(ctx, pinned.caPem, pinned.matchedPin!, evidence);
}

function safeHashes(kubeconfig: string): string {
  try {
    return validateClusterCA(kubeconfig, new PinSet(), true, true)
      .all.map((c) => pinOf(c))
      .join(', ');
  } catch {
    return '(unreadable)';
  }
}

async function verifiedHandshake(ctx: DoctorContext, caPem: string, matchedPin: string, evidence: string[]): Promise<Outcome> {
  let hs;
  try {
    hs = await handshake(ctx, caPem);
  } catch (err) {
    return fail('timeout', `no verified TLS handshake with ${ctx.endpoint}: ${(err as Error).message}`, 'Check the network path to the API server.', evidence);
  }
  const leaf = hs.chain[0];
  const problem = hs.authorizationError ?? (leaf ? nameProblem(leaf, ctx.host) : 'no certificate');
  if (!problem) {
    ctx.found.pinHolds = true;
    return pass(`the cluster CA matches ${matchedPin} and ${ctx.endpoint} verifies against it`, evidence);
  }
  if (leaf) evidence.push(`server certificate: ${describeCert(leaf)}`);
  if (/CERT_NOT_YET_VALID|CERT_HAS_EXPIRED/.test(problem) && isSkewed(ctx.found.clock)) {
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
