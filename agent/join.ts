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
} from './contract/index.js';
import { Channel } from './channel.js';
import { checkIssuedCertificate } from './csr/check.js';
import { generateClientKey, loadClientKey, type ClientKey } from './csr/key.js';
import { nodeSubject } from './csr/pkcs10.js';
import { requestCertificate } from './csr/request.js';
import { waitForCertificate } from './csr/wait.js';
import { getDeviceFacts } from './device.js';
import { loadDiscoveryFile, verifyServer } from './discovery/file.js';
import { fetchSignedClusterInfo, refetchVerified, validateClusterCA, validateClusterInfoSignature } from './discovery/token.js';
import { KubejoinError, UsageError, toErrorInfo } from './errors.js';
import { sharedAgent } from './http.js';
import { certificatesOf, PinSet } from './pin.js';
import { PhaseClock } from './phase-clock.js';
import { chooseStore, openStore, type StoreChoice } from './store/select.js';
import type { CredentialStore } from './store/types.js';
import { parseToken, type BootstrapToken } from './token.js';
import { whoAmI } from './verify.js';

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
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * Joins this machine: yields started/progress/succeeded/failed for each phase (see
 * PHASES), then one `result` event, which is also the generator's return value.
 * Never throws for a join failure: the result says what went wrong.
 */
export async function* join(request: JoinRequest, options: JoinOptions = {}): AsyncGenerator<JoinEvent, JoinResult, void> {
  const channel = new Channel<JoinEvent>();
  const running = runJoin(request, options, (e) => channel.push(e)).finally(() => channel.close());
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
    const discoveryTimeoutMs = req.discoveryTimeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS;
    const discoveryDeadline = Date.now() + discoveryTimeoutMs;
    const pollOptions = (progress: (m: string, a?: number) => void, agent: ReturnType<typeof sharedAgent>) => ({
      agent,
      signal,
      timeoutMs: Math.max(1, discoveryDeadline - Date.now()),
      onRetry: (reason: string, attempt: number) => progress(`${reason}; retrying (attempt ${attempt})`, attempt),
      ...(options.discoveryDelayMs ? { delayMs: options.discoveryDelayMs } : {}),
    });

    // Discovery: token (SPEC.md 3) or file.
    let cluster: { server: string; caPem: string; cas: ReturnType<typeof certificatesOf> };
    if (ctx.discovery.kind === 'token') {
      const { endpoint, token, pins } = ctx.discovery;
      const insecure = sharedAgent({ insecure: true });
      const info = await clock.run('discover', (p) => abortable(fetchSignedClusterInfo(endpoint, token.id, pollOptions(p, insecure))), () => `cluster-info from ${endpoint} carries a signature for token id "${token.id}"`);
      await clock.run('verify-signature', async () => validateClusterInfoSignature(info, token), () => 'the JWS signature matches the token');
      const pinned = await clock.run('pin-ca', async (p) => {
        const result = validateClusterCA(info.kubeconfig, pins, req.unsafeSkipCaVerification === true);
        if (!result.matchedPin) p('WARNING: CA pinning skipped (--discovery-token-unsafe-skip-ca-verification): the cluster identity rests on the token alone');
        return result;
      }, (r) => (r.matchedPin ? `the cluster CA matches ${r.matchedPin}` : 'skipped (unsafe)'));
      const verified = sharedAgent({ ca: pinned.caPem });
      await clock.run('verify-server', (p) => abortable(refetchVerified(endpoint, token.id, info, pollOptions(p, verified))), () => `${endpoint} is verified by the pinned CA; using ${pinned.server}`);
      cluster = { server: pinned.server, caPem: pinned.caPem, cas: pinned.certs };
    } else {
      const { source, pins } = ctx.discovery;
      const entry = await clock.run('discover', () => abortable(loadDiscoveryFile(source, { timeoutMs: REQUEST_TIMEOUT_MS, signal })), (e) => `cluster ${e.server} from the discovery file`);
      await clock.run('verify-signature', async () => undefined, () => 'skipped: a discovery file carries no signature');
      const cas = await clock.run('pin-ca', async () => {
        const certs = certificatesOf(entry.caPem);
        if (pins.size > 0 && !pins.matchAny(certs)) {
          throw new KubejoinError('untrusted-cluster', 'the CA of the discovery file matches none of the given CA cert hashes');
        }
        return certs;
      }, () => (pins.size > 0 ? 'the CA matches a given pin' : 'skipped: the discovery file is trusted as given'));
      await clock.run('verify-server', () => abortable(verifyServer(entry.server, entry.caPem, { timeoutMs: REQUEST_TIMEOUT_MS, signal })), () => `${entry.server} is verified by the discovery file's CA`);
      cluster = { server: entry.server, caPem: entry.caPem, cas };
    }

    // TLS bootstrap (SPEC.md 4).
    const nodeName = ctx.nodeName;
    const subject = nodeSubject(nodeName);
    // The same agent as verify-server: its connection to the server is reused.
    const bootstrap = sharedAgent({ ca: cluster.caPem });
    const api = { server: cluster.server, agent: bootstrap, watchAgent: sharedAgent({ ca: cluster.caPem }, 'watch'), bearer: ctx.bootstrapToken, timeoutMs: REQUEST_TIMEOUT_MS, signal };
    let key: ClientKey;
    const csr = await clock.run('request-certificate', async (p) => {
      const choice = await ctx.store;
      store = openStore(choice, { nodeName, server: cluster.server, env, ...pick(req, 'certDir', 'kubeconfigOut'), ...(options.credentialCommand ? { credentialCommand: options.credentialCommand } : {}) });
      p(`credential store: ${choice.kind} (${choice.reason})`);
      const pending = await store.loadPendingKey();
      key = pending ? loadClientKey(pending) : generateClientKey();
      if (pending) p('reusing the key of an earlier, unfinished join');
      else await store.savePendingKey(key.pem);
      return abortable(requestCertificate(api, key, subject));
    }, (c) => (c.reused ? `reusing ${c.name} from an earlier run` : `created ${c.name}`));
    const issued = await clock.run('await-approval', async (p) => {
      const pem = await abortable(waitForCertificate(api, { name: csr.name, uid: csr.uid, resourceVersion: csr.resourceVersion, onProgress: p }, csr.reused ? csr.object : undefined));
      return { pem, info: checkIssuedCertificate(pem, key.publicKey, subject, cluster.cas) };
    }, (i) => `issued, valid until ${i.info.notAfter}`);
    const certPem = issued.pem;
    const stored = await clock.run('store-credentials', () => store!.save(certPem, key.pem, cluster), (s) => `${s.kind}: ${s.location}`);
    const identity = await clock.run('verify-credentials', async () => {
      const who = await abortable(whoAmI(cluster.server, cluster.caPem, certPem, key.pem, { timeoutMs: REQUEST_TIMEOUT_MS, signal }));
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
    // Keep the pending key only where its CSR may still be approved (timeout, cancel):
    // after a refusal or denial it is useless, and bad input never wrote one.
    if (store && (info.category !== 'timeout' && !options.signal?.aborted)) await store.discardPending().catch(() => undefined);
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
  discovery: { kind: 'token'; endpoint: string; token: BootstrapToken; pins: PinSet } | { kind: 'file'; source: string; pins: PinSet };
  bootstrapToken: string;
  nodeName: string;
  store: Promise<StoreChoice>;
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
  // An explicit keychain must be usable before anything else happens (exit 7);
  // auto decides in the background while discovery runs.
  const store = chooseStore(req.store ?? 'auto', env);
  if (req.store === 'keychain') await store;
  else store.catch(() => undefined);
  const discovery = req.discoveryFile
    ? { kind: 'file' as const, source: req.discoveryFile, pins }
    : { kind: 'token' as const, endpoint: req.endpoint!.trim(), token: parseToken(req.token!), pins };
  return { discovery, bootstrapToken, nodeName, store };
}
