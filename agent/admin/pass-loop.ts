import { KubejoinError } from '../errors.js';
import type { AdminClient } from './client.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './request-timeout.js';
import { WATCH_SECONDS } from './watch.js';
import { IDLE_READ_MS, watchUntil } from '../watch/loop.js';

// The long-running shape shared by watchers (docs/enrollment.md §3): a pass now, then one after
// each watch event (debounced), every resync interval, and after a failure (with backoff).
// Watches run in the one watch loop (agent/watch): re-established when the server ends them, when
// they break, and when they stay silent too long, so the loop survives a hung or restarted API server.

type WatchOp = Parameters<AdminClient['watch']>[2];

export interface PassLoopOptions {
  signal: AbortSignal;
  /** One idempotent pass over the current state. */
  pass: () => Promise<void>;
  /** A watch or pass failed; the loop retries. */
  onError: (err: KubejoinError) => void;
  watches: { path: string; query: Record<string, string>; op: WatchOp }[];
  watch: AdminClient['watch'];
  /** Full resync interval (ms) besides events. Default 5 minutes. */
  resyncMs?: number;
  /** Quiet period after an event before a pass (ms). Default 200. */
  debounceMs?: number;
  /** How long a watch may stay silent past its own timeout before it is replaced (default: the request timeout's default). */
  graceMs?: number;
}

const asError = (e: unknown): KubejoinError => (e instanceof KubejoinError ? e : new KubejoinError('internal', String((e as Error)?.message ?? e)));

/** Runs passes until `signal` aborts. Never overlaps two passes; a poke during one runs another after it. */
export async function runPassLoop(opts: PassLoopOptions): Promise<void> {
  const resyncMs = opts.resyncMs ?? 5 * 60_000;
  const debounceMs = opts.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = 1000;
  let running = false;
  let again = false;

  const pass = async (): Promise<void> => {
    if (opts.signal.aborted) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          await opts.pass();
          retryMs = 1000;
        } catch (err) {
          if (opts.signal.aborted) break; // stopping: no retry may outlive the loop
          opts.onError(asError(err));
          // Every call is bounded, so a hung server ends the pass; it is tried again later.
          clearTimeout(retryTimer);
          retryTimer = setTimeout(() => void pass(), retryMs);
          retryMs = Math.min(retryMs * 2, 30_000);
        }
      } while (again && !opts.signal.aborted);
    } finally {
      running = false;
    }
  };
  const poke = (): void => {
    if (opts.signal.aborted) return;
    clearTimeout(timer);
    timer = setTimeout(() => void pass(), debounceMs);
  };

  // Each watch runs in the one watch loop (agent/watch, docs/protocol.md §10.6): an event pokes
  // a pass; silence is covered by a pass, shared by the watches (one at most per IDLE_READ_MS / 2).
  let passedAt = 0;
  const freshPass = async (): Promise<undefined> => {
    if (Date.now() - passedAt < IDLE_READ_MS / 2) return undefined;
    passedAt = Date.now();
    await pass();
    return undefined;
  };
  const watchLoop = (w: PassLoopOptions['watches'][number]): Promise<void> => {
    // Resumed from the last version seen, a new watch misses nothing and replays nothing.
    let rv: string | undefined;
    return watchUntil<void>({
      what: `the watch of ${w.op.resource}${w.op.namespace ? ` in ${w.op.namespace}` : ''}`,
      timeoutSeconds: WATCH_SECONDS,
      graceMs: opts.graceMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      signal: opts.signal,
      resourceVersion: () => rv,
      open: async (loopQuery, signal, heard) => {
        const err = await opts.watch(
          w.path,
          { ...w.query, ...loopQuery },
          w.op,
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
        poke(); // events may have been missed while the stream was down
        return { kind: 'ended', trouble: err.message };
      },
      read: freshPass,
      onSilent: (message) => opts.onError(new KubejoinError('timeout', `${message} (hung API server?); watching again`)),
    }).catch((err: unknown) => {
      if (!opts.signal.aborted) throw err;
    });
  };

  const resync = setInterval(() => void pass(), resyncMs);
  const stopAll = (): void => {
    clearTimeout(timer);
    clearTimeout(retryTimer);
    clearInterval(resync);
  };
  opts.signal.addEventListener('abort', stopAll, { once: true });
  await pass();
  await Promise.all(opts.watches.map((w) => watchLoop(w)));
  stopAll();
}
