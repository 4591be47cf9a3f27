import { KubejoinError } from '../errors.js';
import { loadClientNode, type AdminTarget } from './admin-kubeconfig.js';
import { apiFailureOf, describeApiError, type ApiOp } from './rbac-errors.js';
import { bounded } from './request-timeout.js';

/**
 * The server ends each admin watch after this long (timeoutSeconds); the loop (agent/watch)
 * watches again. Tests shorten it with KUBEJOIN_TEST_WATCH_SECONDS to see a watch end and be
 * replaced within seconds (a test hook: compiled out of what ships, docs/architecture.md "Test hooks").
 */
const TEST_WATCH_SECONDS = globalThis.KUBEJOIN_TEST_HOOKS !== false ? Number(process.env.KUBEJOIN_TEST_WATCH_SECONDS) : 0;
export const WATCH_SECONDS = TEST_WATCH_SECONDS > 0 ? TEST_WATCH_SECONDS : 60;

/**
 * A list's items and the list's resourceVersion: where a watch of the same objects resumes, so
 * that it neither misses a change after the list nor replays what the list held (docs/protocol.md §10.6).
 */
export type Listed<T> = T[] & { resourceVersion?: string };

export function listed<T>(list: { items: T[]; metadata?: { resourceVersion?: string } }): Listed<T> {
  const version = list.metadata?.resourceVersion;
  return Object.assign([...list.items], version ? { resourceVersion: version } : {});
}

/** One watch: path, query (the loop's bookmarks, timeout and version included), the call (for messages), each event, the stop. */
export type WatchArgs = [
  path: string,
  query: Record<string, string | undefined>,
  op: ApiOp,
  onEvent: (type: string, resourceVersion: string | undefined) => void,
  signal: AbortSignal,
];

/**
 * Opens ONE watch of `path` (e.g. /api/v1/namespaces/kube-system/secrets) and calls `onEvent`
 * for each event (bookmarks too) with the version it carries; resolves when it ends: undefined when the server ended it or
 * `signal` aborted, else the error (what the loop reports before watching again). Starting it
 * is bounded by --request-timeout; a watch that then stays silent is the loop's to replace
 * (agent/watch, docs/protocol.md §10.6).
 */
export async function boundedWatch(target: AdminTarget, ...[path, query, op, onEvent, signal]: WatchArgs): Promise<KubejoinError | undefined> {
  const k8s = await loadClientNode();
  // The watch's own agent (client-node makes one per call), so that a watch given up on before
  // its server answered (hung server, SIGTERM) closes its connection now, not at node-fetch's 30 s.
  let agent: { destroy?: () => void } | undefined;
  const config = Object.create(target.kc) as typeof target.kc;
  config.applyToFetchOptions = async (o) => {
    const r = await target.kc.applyToFetchOptions(o);
    agent = r.agent as typeof agent;
    return r;
  };
  const watcher = new k8s.Watch(config);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params[k] = v;
  return new Promise((resolve) => {
    let controller: AbortController | undefined;
    let ended = false;
    const end = (err: KubejoinError | undefined): void => {
      if (ended) return;
      ended = true;
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      agent?.destroy?.();
      resolve(err);
    };
    const onAbort = (): void => end(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    const started = watcher.watch(
      path,
      params,
      (type: string, obj: { metadata?: { resourceVersion?: string } } | undefined) =>
        ended ? undefined : onEvent(type, typeof obj?.metadata?.resourceVersion === 'string' ? obj.metadata.resourceVersion : undefined),
      (err: unknown) => {
        if (err === null || err === undefined || (err as { name?: string }).name === 'AbortError') return end(undefined);
        const statusCode = (err as { statusCode?: unknown }).statusCode;
        const failure = typeof statusCode === 'number' ? { status: statusCode, message: (err as Error).message } : apiFailureOf(err);
        end(describeApiError(failure, op, target.cluster.server, target.userName || undefined));
      },
    );
    // A watch that starts after we gave up on it is stopped at once.
    void started.then(
      (c) => {
        controller = c;
        if (ended) c.abort();
      },
      () => undefined,
    );
    bounded(target.requestTimeoutMs, target.cluster.server, op, new Set(), () => started).catch((err: unknown) =>
      end(err instanceof KubejoinError ? err : describeApiError(apiFailureOf(err), op, target.cluster.server)),
    );
    if (signal.aborted) end(undefined);
  });
}
