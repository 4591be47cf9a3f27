import os from 'node:os';
import {
  DEFAULT_DISCOVERY_TIMEOUT_MS,
  DEFAULT_JOIN_TIMEOUT_MS,
  joinRequestProblems,
  nodeNameProblem,
  type DeviceFacts,
  type JoinEvent,
  type JoinRequest,
  type JoinResult,
} from '../contract/index.js';
import { Channel } from './channel.js';
import { checkIssuedCertificate } from '../csr/check.js';
import { generateClientKey, loadClientKey, type ClientKey } from '../csr/key.js';
import { nodeSubject } from '../csr/pkcs10.js';
import { requestCertificate } from '../csr/request.js';
import { waitForCertificate } from '../csr/wait.js';
import { getDeviceFacts } from './device-facts.js';
import { discover, type DiscoverySource } from '../discovery/index.js';
import { KubejoinError, UsageError, toErrorInfo } from '../errors.js';
import { sharedAgent } from '../transport/http.js';
import { proxyConfig, type ProxyConfig } from '../transport/proxy.js';
import { PinSet } from '../protocol/pin.js';
import { PhaseClock } from './phase-clock.js';
import { chooseStore, openStore, type StoreChoice } from '../store/select.js';
import type { CredentialStore } from '../store/types.js';
import { parseToken } from '../protocol/token.js';
import { whoAmI } from './whoami.js';
import { maskDeep } from './masked.js';

export interface JoinOptions {
  /** Cancels the join (the CLI's SIGINT, the UI's cancel button). */
  signal?: AbortSignal;
  /** Environment for store defaults (XDG paths, keychain service). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** What kubectl runs for the keychain store's exec plugin (default: `kubejoin`). */
  credentialCommand?: { command: string; args: string[] };
  /**
   * Add device facts (systeminformation) to the result (default true). They are read
   * after the last network phase, so they never slow the join's own phases.
   */
  deviceFacts?: boolean;
  /** Delay before discovery attempt n (tests shorten it). */
  discoveryDelayMs?: (attempt: number) => number;
  /** Delay before retry n of a transient failure after discovery (tests shorten it). */
  retryDelayMs?: (attempt: number) => number;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Joins this machine: yields started/progress/succeeded/failed for each phase (see
 * PHASES), then one `result` event, which is also the generator's return value.
 * Never throws for a join failure: the result says what went wrong.
 */
export async function* join(request: JoinRequest, options: JoinOptions = {}): AsyncGenerator<JoinEvent, JoinResult, void> {
  const channel = new Channel<JoinEvent>();
  const secrets = [request.token, request.tlsBootstrapToken].filter((t): t is string => typeof t === 'string');
  const running = runJoin(request, options, (e) => channel.push(maskDeep(e, secrets)))
    .then((r) => maskDeep(r, secrets))
    .finally(() => channel.close());
  for await (const event of channel) yield event;
  return running;
}

async function runJoin(req: JoinRequest, options: JoinOptions, emit: (e: JoinEvent) => void): Promise<JoinResult> {
  const startedAt = performance.now();
  const clock = new PhaseClock(emit, startedAt);
  const env = options.env ?? process.env;
  const timeoutMs = req.timeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let store: CredentialStore | undefined;

  const finish = async (result: JoinResult): Promise<JoinResult> => {
    const facts: DeviceFacts | undefined = options.deviceFacts === false ? undefined : await getDeviceFacts().catch(() => undefined);
    const withDevice = facts ? { ...result, device: facts } : result;
    emit({ type: 'result', result: withDevice, at: clock.at() });
    return withDevice;
  };

  try {
    const ctx = await clock.run('validate', async () => validate(req, env));
    const abortable = <T>(p: Promise<T>): Promise<T> => raceAbort(p, signal, timeoutMs, options.signal);
    const cluster = await discover(ctx.discovery, {
      clock,
      abortable,
      signal,
      timeoutMs: req.discoveryTimeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      proxy: ctx.proxy,
      ...(options.discoveryDelayMs ? { delayMs: options.discoveryDelayMs } : {}),
    });

    // TLS bootstrap (docs/protocol.md §4).
    const nodeName = ctx.nodeName;
    const subject = nodeSubject(nodeName);
    // The same agent as verify-server: its connection to the server is reused.
    const bootstrap = sharedAgent({ ca: cluster.caPem, proxy: ctx.proxy });
    const api = { server: cluster.server, agent: bootstrap, watchAgent: sharedAgent({ ca: cluster.caPem, proxy: ctx.proxy }, 'watch'), bearer: ctx.bootstrapToken, timeoutMs: REQUEST_TIMEOUT_MS, signal, ...(options.retryDelayMs ? { delayMs: options.retryDelayMs } : {}) };
    let key: ClientKey;
    const csr = await clock.run('request-certificate', async (p) => {
      const choice = await ctx.store;
      store = openStore(choice, { nodeName, server: cluster.server, env, ...pick(req, 'certDir', 'kubeconfigOut'), ...(options.credentialCommand ? { credentialCommand: options.credentialCommand } : {}) });
      p(`credential store: ${choice.kind} (${choice.reason})`);
      const pending = await store.loadPendingKey();
      key = pending ? loadClientKey(pending) : generateClientKey();
      if (pending) p('reusing the key of an earlier, unfinished join');
      else await store.savePendingKey(key.pem);
      return abortable(requestCertificate({ ...api, onRetry: p }, key, subject));
    }, (c) => (c.reused ? `reusing ${c.name} from an earlier run` : `created ${c.name}`));
    const issued = await clock.run('await-approval', async (p) => {
      const pem = await abortable(waitForCertificate({ ...api, onRetry: p }, { name: csr.name, uid: csr.uid, resourceVersion: csr.resourceVersion, onProgress: p }, csr.reused ? csr.object : undefined));
      return { pem, info: checkIssuedCertificate(pem, key.publicKey, subject, cluster.cas, new Date(), cluster.clock) };
    }, (i) => `issued, valid until ${i.info.notAfter}`);
    const certPem = issued.pem;
    const stored = await clock.run('store-credentials', () => store!.save(certPem, key.pem, cluster), (s) => `${s.kind}: ${s.location}`);
    const identity = await clock.run('verify-credentials', async (p) => {
      const who = await abortable(whoAmI(cluster.server, cluster.caPem, certPem, key.pem, { timeoutMs: REQUEST_TIMEOUT_MS, signal, proxy: ctx.proxy, onRetry: p, ...(options.retryDelayMs ? { delayMs: options.retryDelayMs } : {}) }));
      if (who.username !== subject.commonName) {
        throw new KubejoinError('certificate-denied', `the cluster sees the new credential as "${who.username}", expected "${subject.commonName}"`);
      }
      return who;
    }, (w) => `the cluster sees ${w.username} (${w.groups.join(', ')})`);
    return await finish({
      ok: true,
      nodeName,
      server: cluster.server,
      identity,
      certificate: issued.info,
      store: stored,
      csrName: csr.name,
      durationMs: Math.round(performance.now() - startedAt),
      phaseDurationsMs: clock.durations,
    });
  } catch (err) {
    const info = toErrorInfo(err);
    // Keep the pending key on every error but a refusal or denial: its CSR may still be (or
    // already be) approved, and the next join reuses it. Bad input never wrote one.
    if (store && (info.category === 'certificate-denied' || info.category === 'token-refused')) await store.discardPending().catch(() => undefined);
    return finish({
      ok: false,
      ...(clock.failedPhase ? { phase: clock.failedPhase } : {}),
      error: info,
      durationMs: Math.round(performance.now() - startedAt),
      phaseDurationsMs: clock.durations,
    });
  }
}

function pick<T extends object, K extends keyof T>(obj: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** Turns the join deadline or a cancel into a clear error, whatever the step was doing. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number, cancel?: AbortSignal): Promise<T> {
  const asError = (): KubejoinError =>
    cancel?.aborted
      ? new KubejoinError('internal', 'the join was cancelled')
      : new KubejoinError('timeout', `the join did not finish within ${Math.round(timeoutMs / 1000)} s (--timeout)`, {
          hint: 'If the certificate is waiting for approval, approve it ("kubectl certificate approve <name>") and join again: the request is reused.',
        });
  if (signal.aborted) return Promise.reject(asError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(asError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(signal.aborted ? asError() : e)),
    );
  });
}

interface Validated {
  discovery: DiscoverySource;
  bootstrapToken: string;
  nodeName: string;
  store: Promise<StoreChoice>;
  proxy: ProxyConfig | undefined;
}

/** Everything checked before any network traffic (exit 2), and the store decided. */
async function validate(req: JoinRequest, env: NodeJS.ProcessEnv): Promise<Validated> {
  const problems = joinRequestProblems(req);
  const nodeName = req.nodeName ?? os.hostname().toLowerCase();
  if (req.nodeName === undefined) {
    const problem = nodeNameProblem(nodeName);
    if (problem) problems.push({ field: 'nodeName', message: `${problem} (it comes from the host name; pass --node-name)` });
  }
  if (problems.length > 0) {
    throw new UsageError(problems.map((p) => p.message).join('; '));
  }
  const pins = new PinSet(req.caCertHashes ?? []);
  const bootstrapToken = req.tlsBootstrapToken ?? req.token!;
  parseToken(bootstrapToken, 'TLS bootstrap token');
  const proxy = proxyConfig(env, req.proxy ? { value: req.proxy, source: 'set for this join' } : undefined);
  // An explicit keychain must be usable before anything else happens (exit 7);
  // auto decides in the background while discovery runs.
  const store = chooseStore(req.store ?? 'auto', env);
  if (req.store === 'keychain') await store;
  else store.catch(() => undefined);
  const discovery: DiscoverySource = req.discoveryFile
    ? { kind: 'file', source: req.discoveryFile, pins }
    : { kind: 'token', endpoint: req.endpoint!.trim(), token: parseToken(req.token!), pins, unsafeSkipCaVerification: req.unsafeSkipCaVerification === true };
  return { discovery, bootstrapToken, nodeName, store, proxy };
}
