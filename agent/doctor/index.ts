import {
  DEFAULT_DOCTOR_TIMEOUT_MS,
  endpointProblem,
  pinProblem,
  tokenProblem,
  type DoctorCheck,
  type DoctorReport,
  type DoctorRequest,
} from '../contract/index.js';
import { UsageError } from '../errors.js';
import { PinSet } from '../protocol/pin.js';
import { parseToken } from '../protocol/token.js';
import { proxyConfig, proxyFor } from '../transport/proxy.js';
import { splitHostPort } from '../transport/no-proxy.js';
import { runCheck, skip, type DoctorContext, type Outcome } from './check.js';
import { checkClock, checkClusterInfo, checkPin } from './cluster.js';
import { checkDns, checkProxy, checkTcp, unreachable } from './network.js';
import { checkTls } from './tls.js';
import { checkCsrRights, checkSignature, checkTokenAuth } from './token.js';
import { exitCodeOf, rankCauses } from './rank.js';

// `kubejoin doctor` (and the desktop app's "Run checks"): every check in order, within one
// total time bound, each with its evidence; the causes ranked; the token never sent before
// the pin holds.

/** Bad input is a UsageError (exit 2), before any network traffic. */
function contextOf(req: DoctorRequest, env: NodeJS.ProcessEnv, signal: AbortSignal, deadline: number): DoctorContext {
  const endpoint = req.endpoint.trim();
  const problems = [
    endpointProblem(endpoint),
    ...(req.caCertHashes ?? []).map(pinProblem),
    req.token !== undefined ? tokenProblem(req.token) : undefined,
  ].filter((p) => p !== undefined);
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  const hp = splitHostPort(endpoint)!;
  const proxy = proxyConfig(env, req.proxy ? { value: req.proxy, source: 'set for this run' } : undefined);
  return {
    endpoint,
    host: hp.host,
    port: Number(hp.port),
    proxy,
    via: proxyFor(proxy, hp.host, hp.port),
    pins: new PinSet(req.caCertHashes ?? []),
    token: req.token !== undefined ? parseToken(req.token) : undefined,
    signal,
    deadline,
    found: {},
  };
}

type Step = [DoctorCheck['id'], (ctx: DoctorContext) => Promise<Outcome>, ((ctx: DoctorContext) => Outcome | undefined)?];

const needsConnection = (ctx: DoctorContext): Outcome | undefined => (ctx.found.reachable ? undefined : unreachable());
const needsTls = (ctx: DoctorContext): Outcome | undefined =>
  needsConnection(ctx) ?? (ctx.found.tlsOk ? undefined : skip('not run: no TLS handshake (see above)'));

const STEPS: Step[] = [
  ['proxy', checkProxy],
  ['dns', checkDns],
  // A name that does not resolve is the one cause; a TCP failure after it would only repeat it.
  ['tcp', checkTcp, (ctx) => (ctx.found.unresolved ? skip('not run: the host name does not resolve (see above)') : undefined)],
  ['tls', checkTls, needsConnection],
  ['clock', checkClock, needsTls],
  ['cluster-info', checkClusterInfo, needsTls],
  ['signature', checkSignature],
  ['pin', checkPin, needsTls],
  ['token', checkTokenAuth],
  ['csr-rights', checkCsrRights],
];

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export async function runDoctor(req: DoctorRequest, options: DoctorOptions = {}): Promise<DoctorReport> {
  const startedAt = new Date();
  const started = performance.now();
  const timeoutMs = req.timeoutMs ?? DEFAULT_DOCTOR_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const bound = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, bound]) : bound;
  const ctx = contextOf(req, options.env ?? process.env, signal, deadline);
  const checks: DoctorCheck[] = [];
  for (const [id, check, precondition] of STEPS) {
    const blocked = precondition?.(ctx);
    checks.push(blocked ? { id, ...blocked, durationMs: 0 } : await runCheck(id, ctx, () => check(ctx)));
  }
  const causes = rankCauses(checks);
  const exitCode = exitCodeOf(causes);
  return {
    endpoint: ctx.endpoint,
    ok: exitCode === 0,
    exitCode,
    checks,
    causes,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
  };
}
