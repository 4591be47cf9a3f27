import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubejoinError } from '../errors.js';
import { signDetached } from '../protocol/jws.js';
import type { AdminClient } from './client.js';
import { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, JWS_KEY_PREFIX, KUBECONFIG_KEY } from './cluster-info.js';
import { expiryOf, signingTokenOf, TOKEN_NAMESPACE, type SecretLike } from './token-secret.js';
import { TOKEN_SECRET_TYPE } from '../protocol/token.js';
import { runPassLoop, type WatchOptions } from './pass-loop.js';

// `cluster sign`: the BootstrapSigner's job (kube-controller-manager, pkg/controller/bootstrap),
// for clusters that do not run it. Same rules: sign the `kubeconfig` string as stored, for every
// token Secret valid for signing; drop every other `jws-kubeconfig-*` key; write only if
// something changed. The plan is pure; `signOnce` and `watchAndSign` apply it (the watcher on the
// admin side's one pass loop, pass-loop.ts, as `cluster approve --watch`).

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
  /** The version the list of token Secrets was at: where the watcher's watch of them resumes. */
  secretsVersion?: string;
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
    const result: SignResult = {
      ...plan,
      written: false,
      ...(next === undefined ? {} : { nextExpiryMs: next }),
      ...(secrets.resourceVersion ? { secretsVersion: secrets.resourceVersion } : {}),
    };
    if (!plan.changed || dryRun) return result;
    const body: V1ConfigMap = { ...cm, data: plan.data };
    if ((await api.replaceConfigMap(body)) !== undefined) return { ...result, written: true };
    // Someone wrote cluster-info since we read it (the controller ignores conflicts and is
    // poked again; we re-read and retry).
    if (attempt >= 5) throw new KubejoinError('internal', `${CLUSTER_INFO_NAMESPACE}/${CLUSTER_INFO_NAME} kept changing while it was being signed`);
  }
}

export interface SignWatchOptions extends WatchOptions {
  /** Called after each pass (written or not). */
  onPass: (result: SignResult) => void;
}

const SECRETS_PATH = `/api/v1/namespaces/${TOKEN_NAMESPACE}/secrets`;

type WatchApi = SignApi & Pick<AdminClient, 'watch'> & Partial<Pick<AdminClient, 'target'>>;

/**
 * `cluster sign --watch`: a pass now, then one after every change of a token Secret or of
 * cluster-info, a second after a signed token expires (its signature must go), every resync
 * interval, and when a watch has been silent for 15 s (docs/protocol.md §10.6), until `signal` aborts.
 */
export function watchAndSign(api: WatchApi, opts: SignWatchOptions): Promise<void> {
  const { now, onPass, ...loop } = opts;
  return runPassLoop({
    ...loop,
    pass: async () => {
      const result = await signOnce(api, now);
      onPass(result);
      return {
        versions: { [SECRETS_PATH]: result.secretsVersion },
        ...(result.nextExpiryMs === undefined ? {} : { nextPassInMs: Math.max(0, result.nextExpiryMs - now()) + 1000 }),
      };
    },
    watch: (...args) => api.watch(...args),
    // A watch silent this long past its timeout is replaced: --request-timeout, as every call.
    ...(api.target ? { graceMs: api.target.requestTimeoutMs } : {}),
    watches: [
      {
        path: SECRETS_PATH,
        query: { fieldSelector: `type=${TOKEN_SECRET_TYPE}` },
        op: { verb: 'watch', resource: 'secrets', namespace: TOKEN_NAMESPACE },
      },
      {
        path: `/api/v1/namespaces/${CLUSTER_INFO_NAMESPACE}/configmaps`,
        query: { fieldSelector: `metadata.name=${CLUSTER_INFO_NAME}` },
        op: { verb: 'watch', resource: 'configmaps', namespace: CLUSTER_INFO_NAMESPACE },
      },
    ],
  });
}
