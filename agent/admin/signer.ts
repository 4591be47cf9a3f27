import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubejoinError } from '../errors.js';
import { signDetached } from '../protocol/jws.js';
import type { AdminClient } from './client.js';
import { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, JWS_KEY_PREFIX, KUBECONFIG_KEY } from './cluster-info.js';
import { expiryOf, signingTokenOf, type SecretLike } from './token-secret.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './request-timeout.js';
import { WATCH_SECONDS } from './watch.js';
import { IDLE_READ_MS, watchUntil } from '../watch/loop.js';

// `cluster sign`: the BootstrapSigner's job (kube-controller-manager, pkg/controller/bootstrap),
// for clusters that do not run it. Same rules: sign the `kubeconfig` string as stored, for every
// token Secret valid for signing; drop every other `jws-kubeconfig-*` key; write only if
// something changed. The plan is pure; `signOnce` and `watchAndSign` apply it.

export interface SigningPlan {
  /** False when cluster-info has no kubeconfig key (the controller then does nothing). */
  hasKubeconfig: boolean;
  changed: boolean;
  /** The ConfigMap data to write (all non-signature keys kept as they are). */
  data: Record<string, string>;
  added: string[];
  updated: string[];
  removed: string[];
  unchanged: string[];
}

export function planSigning(data: Readonly<Record<string, string>> | undefined, secrets: readonly SecretLike[], nowMs: number): SigningPlan {
  const plan: SigningPlan = { hasKubeconfig: false, changed: false, data: { ...(data ?? {}) }, added: [], updated: [], removed: [], unchanged: [] };
  const content = data?.[KUBECONFIG_KEY];
  if (content === undefined) return plan;
  plan.hasKubeconfig = true;
  const old = new Map<string, string>();
  for (const key of Object.keys(plan.data)) {
    if (!key.startsWith(JWS_KEY_PREFIX)) continue;
    old.set(key.slice(JWS_KEY_PREFIX.length), plan.data[key]!);
    delete plan.data[key];
  }
  const tokens = new Map<string, string>();
  for (const s of secrets) {
    const t = signingTokenOf(s, nowMs);
    if (t !== undefined && !tokens.has(t.id)) tokens.set(t.id, t.secret);
  }
  for (const [id, secret] of [...tokens].sort(([a], [b]) => a.localeCompare(b))) {
    const sig = signDetached(content, id, secret);
    const before = old.get(id);
    if (before === undefined) plan.added.push(id);
    else if (before !== sig) plan.updated.push(id);
    else plan.unchanged.push(id);
    old.delete(id);
    plan.data[`${JWS_KEY_PREFIX}${id}`] = sig;
  }
  plan.removed = [...old.keys()].sort();
  plan.changed = plan.added.length + plan.updated.length + plan.removed.length > 0;
  return plan;
}

/** When the next signing token expires (its signature must then go), if any does. */
export function nextExpiryMs(secrets: readonly SecretLike[], nowMs: number): number | undefined {
  let next: number | undefined;
  for (const s of secrets) {
    if (signingTokenOf(s, nowMs) === undefined) continue;
    const { remainingMs } = expiryOf(s, nowMs);
    if (remainingMs !== undefined && (next === undefined || remainingMs < next)) next = remainingMs;
  }
  return next === undefined ? undefined : nowMs + next;
}

export type SignApi = Pick<AdminClient, 'getConfigMap' | 'replaceConfigMap' | 'listTokenSecrets'>;

export interface SignResult extends SigningPlan {
  written: boolean;
  /** Earliest expiry among the tokens signed, for the watcher's next pass. */
  nextExpiryMs?: number;
}

/** One pass: read cluster-info and the token Secrets, write cluster-info if it must change. */
export async function signOnce(api: SignApi, now: () => number, dryRun = false): Promise<SignResult> {
  for (let attempt = 1; ; attempt++) {
    const cm: V1ConfigMap | undefined = await api.getConfigMap(CLUSTER_INFO_NAMESPACE, CLUSTER_INFO_NAME);
    if (cm === undefined) {
      throw new KubejoinError('invalid-input', `the cluster has no ${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME} ConfigMap, so there is nothing to sign`, {
        hint: 'Run "kubejoin cluster prepare" first.',
      });
    }
    const secrets = await api.listTokenSecrets();
    const nowMs = now();
    const plan = planSigning(cm.data, secrets, nowMs);
    const next = nextExpiryMs(secrets, nowMs);
    const result: SignResult = { ...plan, written: false, ...(next === undefined ? {} : { nextExpiryMs: next }) };
    if (!plan.changed || dryRun) return result;
    const body: V1ConfigMap = { ...cm, data: plan.data };
    if ((await api.replaceConfigMap(body)) !== undefined) return { ...result, written: true };
    // Someone wrote cluster-info since we read it (the controller ignores conflicts and is
    // poked again; we re-read and retry).
    if (attempt >= 5) throw new KubejoinError('internal', `${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME} kept changing while it was being signed`);
  }
}

export interface WatchOptions {
  signal: AbortSignal;
  now: () => number;
  /** Called after each pass (written or not). */
  onPass: (result: SignResult) => void;
  /** A watch or pass failed; the watcher retries. */
  onError: (err: KubejoinError) => void;
  /** Full resync interval (ms) besides events and expiries. Default 5 minutes. */
  resyncMs?: number;
  /** Quiet period after an event before a pass (ms). Default 200. */
  debounceMs?: number;
  /** Wait before re-watch n after trouble (default: the capped, jittered backoff). */
  watchDelayMs?: (attempt: number) => number;
}

type WatchApi = SignApi & Pick<AdminClient, 'watch'> & Partial<Pick<AdminClient, 'target'>>;

/**
 * `cluster sign --watch`: a pass now, then one after every change of a token Secret or of
 * cluster-info, when a signed token expires, every resync interval, and when a watch has been
 * silent for IDLE_READ_MS, until `signal` aborts.
 */
export async function watchAndSign(api: WatchApi, opts: WatchOptions): Promise<void> {
  const resyncMs = opts.resyncMs ?? 5 * 60_000;
  const debounceMs = opts.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = 1000;
  let running = false;
  let again = false;

  const pass = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          const result = await signOnce(api, opts.now);
          opts.onPass(result);
          clearTimeout(expiryTimer);
          if (result.nextExpiryMs !== undefined) {
            // setTimeout holds at most ~24.8 days; a resync comes long before that anyway.
            const wait = Math.min(Math.max(0, result.nextExpiryMs - opts.now()) + 1000, resyncMs);
            expiryTimer = setTimeout(() => void pass(), wait);
          }
        } catch (err) {
          if (opts.signal.aborted) break; // stopping: no retry may outlive the watcher
          opts.onError(err instanceof KubejoinError ? err : new KubejoinError('internal', (err as Error).message));
          // A failed pass (hung or unreachable server: every call is bounded) is tried again.
          clearTimeout(retryTimer);
          retryTimer = setTimeout(() => void pass(), retryMs);
          retryMs = Math.min(retryMs * 2, 30_000);
          continue;
        }
        retryMs = 1000;
      } while (again && !opts.signal.aborted);
    } finally {
      running = false;
    }
  };
  const poke = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void pass(), debounceMs);
  };

  // Each watch runs in the one watch loop (agent/watch, docs/protocol.md §10.6): an event pokes
  // a pass; silence is covered by a pass, shared by both watches (one at most per IDLE_READ_MS).
  let passedAt = 0;
  const freshPass = async (): Promise<undefined> => {
    if (Date.now() - passedAt < IDLE_READ_MS / 2) return undefined;
    passedAt = Date.now();
    await pass();
    return undefined;
  };
  const watchLoop = (path: string, query: Record<string, string>, op: Parameters<WatchApi['watch']>[2]): Promise<void> => {
    // Resumed from the last version seen, a new watch misses nothing and replays nothing; without
    // one (at first, after an error) it starts with every object as ADDED, which pokes a pass.
    let rv: string | undefined;
    return watchUntil<void>({
      what: `the watch of ${op.resource} in ${op.namespace}`,
      timeoutSeconds: WATCH_SECONDS,
      // A watch silent this long past its timeout is replaced: --request-timeout, as every call.
      graceMs: api.target?.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS,
      signal: opts.signal,
      resourceVersion: () => rv,
      open: async (loopQuery, signal, heard) => {
        const err = await api.watch(
          path,
          { ...query, ...loopQuery },
          op,
          (type, version) => {
            heard();
            rv = type === 'ERROR' ? undefined : (version ?? rv);
            if (type !== 'BOOKMARK') poke();
          },
          signal,
        );
        if (signal.aborted || !err) return { kind: 'ended' };
        rv = undefined;
        opts.onError(err);
        return { kind: 'ended', trouble: err.message };
      },
      read: freshPass,
      onSilent: (message) => opts.onError(new KubejoinError('timeout', `${message} (hung API server?); watching again`)),
      ...(opts.watchDelayMs ? { delayMs: opts.watchDelayMs } : {}),
    }).catch((err: unknown) => {
      if (!opts.signal.aborted) throw err;
    });
  };

  const stopAll = (): void => {
    clearTimeout(timer);
    clearTimeout(expiryTimer);
    clearTimeout(retryTimer);
    clearInterval(resync);
  };
  const resync = setInterval(() => void pass(), resyncMs);
  opts.signal.addEventListener('abort', stopAll, { once: true });
  await pass();
  await Promise.all([
    watchLoop(
      `/api/v1/namespaces/kube-system/secrets`,
      { fieldSelector: 'type=bootstrap.kubernetes.io/token' },
      { verb: 'watch', resource: 'secrets', namespace: 'kube-system' },
    ),
    watchLoop(
      `/api/v1/namespaces/${CLUSTER_INFO_NAMESPACE}/configmaps`,
      { fieldSelector: `metadata.name=${CLUSTER_INFO_NAME}` },
      {
        verb: 'watch',
        resource: 'configmaps',
        namespace: CLUSTER_INFO_NAMESPACE,
      },
    ),
  ]);
  stopAll();
}
