import { KubejoinError } from '../errors.js';
import { loadClientNode, type AdminTarget } from './admin-kubeconfig.js';
import { apiFailureOf, describeApiError, type ApiOp } from './rbac-errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, bounded } from './request-timeout.js';

/**
 * The server ends each watch after this long; the caller watches again. Tests shorten it with
 * KUBEJOIN_TEST_WATCH_SECONDS to see the idle watchdog work within seconds (a test hook:
 * compiled out of what ships, docs/architecture.md "Test hooks").
 */
const TEST_WATCH_SECONDS = globalThis.KUBEJOIN_TEST_HOOKS !== false ? Number(process.env.KUBEJOIN_TEST_WATCH_SECONDS) : 0;
const WATCH_SECONDS = TEST_WATCH_SECONDS > 0 ? TEST_WATCH_SECONDS : 60;

/** What a watch is of and who hears about it: path, query, the call (for messages), each event, the end. */
export type WatchArgs = [
  path: string,
  query: Record<string, string>,
  op: ApiOp,
  onEvent: (type: string) => void,
  onEnd: (err: KubejoinError | undefined) => void,
];

/**
 * Watches `path` (e.g. /api/v1/namespaces/kube-system/secrets) until `signal` aborts, calling
 * `onEvent` for each event and `onEnd` when the stream ends (the caller re-watches). Bounded
 * like every call: the server is asked to end the watch after WATCH_SECONDS, and an idle
 * watchdog ends a watch that has been silent for WATCH_SECONDS + --request-timeout (a hung
 * server keeps a connection open and sends nothing); starting it is bounded by the timeout.
 */
export async function boundedWatch(target: AdminTarget, ...[path, query, op, onEvent, onEnd]: WatchArgs): Promise<AbortController> {
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
  const idleMs = WATCH_SECONDS * 1000 + (target.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS);
  let controller: AbortController | undefined;
  let idle: NodeJS.Timeout | undefined;
  let ended = false;
  const end = (err: KubejoinError | undefined): void => {
    if (ended) return;
    ended = true;
    clearTimeout(idle);
    controller?.abort();
    agent?.destroy?.();
    onEnd(err);
  };
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(
      () =>
        end(
          new KubejoinError(
            'timeout',
            `the watch of ${op.resource} on ${target.cluster.server} was silent for ${idleMs / 1000} s (hung API server?); watching again`,
          ),
        ),
      idleMs,
    );
  };
  arm();
  const started = watcher.watch(
    path,
    { ...query, timeoutSeconds: String(WATCH_SECONDS), allowWatchBookmarks: 'true' },
    (type: string) => {
      arm();
      if (type !== 'BOOKMARK') onEvent(type);
    },
    (err: unknown) => {
      if (err === null || err === undefined || (err as { name?: string }).name === 'AbortError') {
        end(undefined);
        return;
      }
      const statusCode = (err as { statusCode?: unknown }).statusCode;
      const failure = typeof statusCode === 'number' ? { status: statusCode, message: (err as Error).message } : apiFailureOf(err);
      end(describeApiError(failure, op, target.cluster.server, target.userName || undefined));
    },
  );
  // A watch that starts after we gave up on it is stopped at once.
  void started.then(
    (c) => (ended ? c.abort() : undefined),
    () => undefined,
  );
  try {
    controller = await bounded(target.requestTimeoutMs, target.cluster.server, op, new Set(), () => started);
    if (ended) controller.abort();
    return controller;
  } catch (err) {
    ended = true;
    clearTimeout(idle);
    agent?.destroy?.();
    throw err instanceof KubejoinError ? err : describeApiError(apiFailureOf(err), op, target.cluster.server);
  }
}
