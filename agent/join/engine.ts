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
  maskDeep,
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
import type { CredentialStore, StagedCredential } from '../store/types.js';
import { alreadyJoinedResult, findAlreadyJoined, type AlreadyJoined } from './already-joined.js';
import { parseToken } from '../protocol/token.js';
import { whoAmI } from './whoami.js';

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
  let staged: StagedCredential | undefined;
  // The store's run lock (docs/stores.md §8), held from the store's first use to the result.
  let unlock: (() => Promise<void>) | undefined;

  const finish = async (result: JoinResult): Promise<JoinResult> => {
    await unlock?.().catch(() => undefined);
    unlock = undefined;
    const facts: DeviceFacts | undefined = options.deviceFacts === false ? undefined : await getDeviceFacts().catch(() => undefined);
    const withDevice = facts ? { ...result, device: facts } : result;
    emit({ type: 'result', result: withDevice, at: clock.at() });
    return withDevice;
  };

  try {
    const ctx = await clock.run('validate', async () => validate(req, env, signal));
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
    const api = {
      server: cluster.server,
      agent: bootstrap,
      watchAgent: sharedAgent({ ca: cluster.caPem, proxy: ctx.proxy }, 'watch'),
      bearer: ctx.bootstrapToken,
      timeoutMs: REQUEST_TIMEOUT_MS,
      signal,
      ...(options.retryDelayMs ? { delayMs: options.retryDelayMs } : {}),
    };
    let key: ClientKey;
    let already: AlreadyJoined | undefined;
    const csr = await clock.run(
      'request-certificate',
      async (p) => {
        const choice = await ctx.store;
        store = openStore(choice, {
          nodeName,
          server: cluster.server,
          env,
          signal,
          ...pick(req, 'certDir', 'kubeconfigOut'),
          ...(options.credentialCommand ? { credentialCommand: options.credentialCommand } : {}),
        });
        p(`credential store: ${choice.kind} (${choice.reason})`);
        unlock = await abortable(store.lock({ signal, onWait: p }));
        if (!req.force) {
          const { found, why } = await abortable(findAlreadyJoined(store, subject, cluster.cas));
          if (why) p(why);
          if ((already = found)) return undefined;
        }
        const pending = await abortable(store.loadPendingKey());
        key = pending ? loadClientKey(pending) : generateClientKey();
        if (pending) p('reusing the key of an earlier, unfinished join');
        else await abortable(store.savePendingKey(key.pem));
        return abortable(requestCertificate({ ...api, onRetry: p }, key, subject));
      },
      (c) =>
        c ? (c.reused ? `reusing ${c.name} from an earlier run` : `created ${c.name}`) : `already joined: a valid credential is stored (--force joins again)`,
    );
    if (already)
      return await finish(
        await alreadyJoinedResult(already, {
          nodeName,
          cluster,
          clock,
          startedAt,
          verify: (cert, k) => abortable(whoAmI(cluster.server, cluster.caPem, cert, k, { timeoutMs: REQUEST_TIMEOUT_MS, signal, proxy: ctx.proxy })),
        }),
      );
    const issued = await clock.run(
      'await-approval',
      async (p) => {
        const pem = await abortable(
          waitForCertificate(
            { ...api, onRetry: p },
            { name: csr!.name, uid: csr!.uid, resourceVersion: csr!.resourceVersion, onProgress: p },
            csr!.reused ? csr!.object : undefined,
          ),
        );
        return { pem, info: checkIssuedCertificate(pem, key.publicKey, subject, cluster.cas, new Date(), cluster.clock) };
      },
      (i) => `issued, valid until ${i.info.notAfter}`,
    );
    const certPem = issued.pem;
    // Staged only: the previous credential stays in place until the new one is verified.
    staged = await clock.run(
      'store-credentials',
      () => abortable(store!.stage(certPem, key.pem, cluster)),
      () => `${store!.kind}: staged`,
    );
    const { identity, stored } = await clock.run(
      'verify-credentials',
      async (p) => {
        const who = await abortable(
          whoAmI(cluster.server, cluster.caPem, certPem, key.pem, {
            timeoutMs: REQUEST_TIMEOUT_MS,
            signal,
            proxy: ctx.proxy,
            onRetry: p,
            ...(options.retryDelayMs ? { delayMs: options.retryDelayMs } : {}),
          }),
        );
        if (who.username !== subject.commonName) {
          throw new KubejoinError('certificate-denied', `the cluster sees the new credential as "${who.username}", expected "${subject.commonName}"`);
        }
        return { identity: who, stored: await abortable(staged!.commit()) };
      },
      (w) => `the cluster sees ${w.identity.username} (${w.identity.groups.join(', ')}); stored in ${w.stored.kind}: ${w.stored.location}`,
    );
    return await finish({
      ok: true,
      nodeName,
      server: cluster.server,
      identity,
      certificate: issued.info,
      store: stored,
      csrName: csr!.name,
      durationMs: Math.round(performance.now() - startedAt),
      phaseDurationsMs: clock.durations,
    });
  } catch (err) {
    const info = toErrorInfo(err);
    await staged?.abort().catch(() => undefined);
    // Keep the pending key wherever its CSR may still be approved (timeout, cancel, a store
    // or disk failure): after a refusal or denial it is useless.
    if (store && (info.category === 'token-refused' || info.category === 'certificate-denied')) await store.discardPending().catch(() => undefined);
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
async function validate(req: JoinRequest, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<Validated> {
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
  const store = chooseStore(req.store ?? 'auto', env, signal);
  if (req.store === 'keychain') await store;
  else store.catch(() => undefined);
  const discovery: DiscoverySource = req.discoveryFile
    ? { kind: 'file', source: req.discoveryFile, pins }
    : { kind: 'token', endpoint: req.endpoint!.trim(), token: parseToken(req.token!), pins, unsafeSkipCaVerification: req.unsafeSkipCaVerification === true };
  return { discovery, bootstrapToken, nodeName, store, proxy };
}
