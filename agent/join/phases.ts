import os from 'node:os';
import {
  DEFAULT_DISCOVERY_TIMEOUT_MS,
  joinRequestProblems,
  nodeNameProblem,
  type Identity,
  type JoinRequest,
  type StoredCredential,
} from '../contract/index.js';
import { awaitIssued, requestWithKey, type Issued, type KeySlot, type Requested } from '../csr/obtain.js';
import { nodeSubject, type Subject } from '../csr/pkcs10.js';
import { planDiscovery, type DiscoverySource, type VerifiedCluster } from '../discovery/index.js';
import { UsageError } from '../errors.js';
import { PinSet } from '../protocol/pin.js';
import { parseToken } from '../protocol/token.js';
import { bootstrapSession, openNodeSession, proveIdentity, type ClusterApi } from '../session/index.js';
import { chooseStore, openStore, type StoreChoice } from '../store/select.js';
import type { Store, StagedCredential } from '../store/types.js';
import { proxyConfig, type ProxyConfig } from '../transport/proxy.js';
import { findAlreadyJoined, type AlreadyJoined } from './already-joined.js';
import type { JoinOptions } from './engine.js';
import type { PhaseClock } from './phase-clock.js';

// The join's phases over one typed context (docs/architecture.md): each takes what the phases
// before it proved and returns what the next needs. The engine (engine.ts) runs them in order.

const REQUEST_TIMEOUT_MS = 30_000;

export interface JoinContext {
  readonly req: JoinRequest;
  readonly options: JoinOptions;
  readonly env: NodeJS.ProcessEnv;
  /** The join's one signal: its deadline and its cancel. */
  readonly signal: AbortSignal;
  readonly phases: PhaseClock;
  /** Set once opened, for the engine's clean-up after a failure. */
  store?: Store;
  staged?: StagedCredential;
  /** Releases the store's run lock (docs/stores.md §8), held from the store's first access to the result. */
  unlock?: () => Promise<void>;
}

export interface Validated {
  discovery: DiscoverySource;
  bootstrapToken: string;
  nodeName: string;
  subject: Subject;
  store: Promise<StoreChoice>;
  proxy: ProxyConfig | undefined;
}

/** Everything checked before any network traffic (exit 2), and the store decided. */
export function validatePhase(ctx: JoinContext): Promise<Validated> {
  return ctx.phases.run('validate', async () => {
    const { req, env } = ctx;
    const problems = joinRequestProblems(req);
    const nodeName = req.nodeName ?? os.hostname().toLowerCase();
    if (req.nodeName === undefined) {
      const problem = nodeNameProblem(nodeName);
      if (problem) problems.push({ field: 'nodeName', message: `${problem} (it comes from the host name; pass --node-name)` });
    }
    if (problems.length > 0) throw new UsageError(problems.map((p) => p.message).join('; '));
    const pins = new PinSet(req.caCertHashes ?? []);
    const bootstrapToken = req.tlsBootstrapToken ?? req.token!;
    parseToken(bootstrapToken, 'TLS bootstrap token');
    const proxy = proxyConfig(env, req.proxy ? { value: req.proxy, source: 'set for this join' } : undefined);
    // An explicit keychain must be usable before anything else happens (exit 7);
    // auto decides in the background while discovery runs.
    const store = chooseStore(req.store ?? 'auto', env, ctx.signal);
    if (req.store === 'keychain') await store;
    else store.catch(() => undefined);
    const discovery: DiscoverySource = req.discoveryFile
      ? { kind: 'file', source: req.discoveryFile, pins }
      : { kind: 'token', endpoint: req.endpoint!.trim(), token: parseToken(req.token!), pins, unsafeSkipCaVerification: req.unsafeSkipCaVerification === true };
    return { discovery, bootstrapToken, nodeName, subject: nodeSubject(nodeName), store, proxy };
  });
}

/** Discovery's four steps, each run as a phase: the only way to a VerifiedCluster. */
export async function discoveryPhases(ctx: JoinContext, input: Validated): Promise<VerifiedCluster> {
  const discovery = planDiscovery(input.discovery, {
    signal: ctx.signal,
    timeoutMs: ctx.req.discoveryTimeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    proxy: input.proxy,
    ...(ctx.options.discoveryDelayMs ? { delayMs: ctx.options.discoveryDelayMs } : {}),
  });
  for (const step of discovery.steps)
    await ctx.phases.run(
      step.phase,
      (p) => step.run(p),
      (summary) => summary,
    );
  return discovery.result();
}

/** The bootstrap token's session with the verified server (docs/protocol.md §4). */
function bootstrapApi(ctx: JoinContext, input: Validated, cluster: VerifiedCluster): ClusterApi {
  return bootstrapSession(cluster, input.bootstrapToken, {
    timeoutMs: REQUEST_TIMEOUT_MS,
    signal: ctx.signal,
    ...(ctx.options.retryDelayMs ? { delayMs: ctx.options.retryDelayMs } : {}),
  });
}

/** The node credential, proven with a SelfSubjectReview over a node session to the verified server. */
function prover(ctx: JoinContext, input: Validated, cluster: VerifiedCluster, onRetry?: (m: string, a: number) => void, signal = ctx.signal) {
  return async (certPem: string, keyPem: string, what: string): Promise<Identity> => {
    const session = openNodeSession(
      cluster,
      { certPem, keyPem },
      {
        proxy: cluster.proxy,
        timeoutMs: REQUEST_TIMEOUT_MS,
        signal,
        ...(onRetry ? { onRetry } : {}),
        ...(ctx.options.retryDelayMs ? { delayMs: ctx.options.retryDelayMs } : {}),
      },
    );
    try {
      return await proveIdentity(session, input.subject.commonName, what);
    } finally {
      session.close();
    }
  };
}

export type RequestOutcome =
  | ({ kind: 'requested'; api: ClusterApi; store: Store } & Requested)
  | { kind: 'already'; already: AlreadyJoined; verify: (certPem: string, keyPem: string) => Promise<Identity> };

/** The store opened; an existing valid credential found (already joined), or the key and CSR. */
export function requestPhase(ctx: JoinContext, input: Validated, cluster: VerifiedCluster): Promise<RequestOutcome> {
  return ctx.phases.run(
    'request-certificate',
    async (p): Promise<RequestOutcome> => {
      const choice = await input.store;
      const { req } = ctx;
      const store = openStore(choice, {
        nodeName: input.nodeName,
        server: cluster.server,
        env: ctx.env,
        signal: ctx.signal,
        ...(req.certDir !== undefined ? { certDir: req.certDir } : {}),
        ...(req.kubeconfigOut !== undefined ? { kubeconfigOut: req.kubeconfigOut } : {}),
        ...(ctx.options.credentialCommand ? { credentialCommand: ctx.options.credentialCommand } : {}),
      });
      ctx.store = store;
      p(`credential store: ${choice.kind} (${choice.reason})`);
      // One run at a time, before the store's first access (which sweeps its temporaries).
      ctx.unlock = await store.lock({ signal: ctx.signal, onWait: p });
      if (!req.force) {
        const { found, why } = await findAlreadyJoined(store, input.subject, cluster.cas);
        if (why) p(why);
        const verify = prover(ctx, input, cluster);
        if (found) return { kind: 'already', already: found, verify: (c, k) => verify(c, k, 'the stored credential') };
      }
      const slot: KeySlot = { load: () => store.loadPendingKey(), save: (pem) => store.savePendingKey(pem) };
      const api = bootstrapApi(ctx, input, cluster);
      const requested = await requestWithKey({ ...api, onRetry: p }, slot, input.subject, { say: p, run: 'join' });
      return { kind: 'requested', api, store, ...requested };
    },
    (r) =>
      r.kind === 'already'
        ? 'already joined: a valid credential is stored (--force joins again)'
        : r.csr.reused
          ? `reusing ${r.csr.name} from an earlier run`
          : `created ${r.csr.name}`,
  );
}

type Requesting = Extract<RequestOutcome, { kind: 'requested' }>;

export function approvalPhase(ctx: JoinContext, input: Validated, requested: Requesting, cluster: VerifiedCluster): Promise<Issued> {
  return ctx.phases.run(
    'await-approval',
    (p) => awaitIssued(requested.api, requested, input.subject, { cas: cluster.cas, clock: cluster.clock }, p),
    (i) => `issued, valid until ${i.info.notAfter}`,
  );
}

/** The staged credential, and its proof (the SelfSubjectReview) already under way. */
export interface Staged {
  staged: StagedCredential;
  proof: Promise<Identity>;
  /** The verify phase's progress: retries of the proof are told there (earlier ones replayed). */
  tell: (p: (m: string, a?: number) => void) => void;
}

/**
 * Staged only: the previous credential stays in place until the new one is verified. The
 * SelfSubjectReview with the new credential starts beside the writes (it needs only the pair
 * in memory), so its round trip overlaps their fsyncs; nothing is put in place before it
 * answers (the commit in verifyPhase). A failed staging stops it.
 */
export async function storePhase(ctx: JoinContext, input: Validated, requested: Requesting, issued: Issued, cluster: VerifiedCluster): Promise<Staged> {
  const { store } = requested;
  const told: [string, number][] = [];
  let say: ((m: string, a?: number) => void) | undefined;
  const onRetry = (m: string, a: number): void => (say ? say(m, a) : void told.push([m, a]));
  const stop = new AbortController();
  const proof = prover(ctx, input, cluster, onRetry, AbortSignal.any([ctx.signal, stop.signal]))(issued.pem, requested.key.pem, 'the new credential');
  proof.catch(() => undefined); // awaited by verifyPhase; unobserved when the staging fails
  try {
    ctx.staged = await ctx.phases.run(
      'store-credentials',
      () => store.stage(issued.pem, requested.key.pem, cluster),
      () => `${store.kind} store: written, and put in place once the cluster accepts it (next step)`,
    );
  } catch (err) {
    stop.abort();
    throw err;
  }
  const tell = (p: (m: string, a?: number) => void): void => {
    say = p;
    for (const [m, a] of told.splice(0)) p(m, a);
  };
  return { staged: ctx.staged, proof, tell };
}

export function verifyPhase(ctx: JoinContext, { staged, proof, tell }: Staged): Promise<{ identity: Identity; stored: StoredCredential }> {
  return ctx.phases.run(
    'verify-credentials',
    async (p) => {
      tell(p);
      const identity = await proof;
      return { identity, stored: await staged.commit() };
    },
    (w) => `the cluster sees ${w.identity.username} (${w.identity.groups.join(', ')}); stored in ${w.stored.kind}: ${w.stored.location}`,
  );
}
