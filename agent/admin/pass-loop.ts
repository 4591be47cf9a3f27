import { KubejoinError } from '../errors.js';
import type { AdminClient } from './client.js';

// The long-running shape shared by watchers (docs/enrollment.md §3): a pass now, then one after
// each watch event (debounced), every resync interval, and after a failure (with backoff).
// Watches are re-established when the server ends them, when they break, and when they stay
// silent too long (agent/admin/watch.ts), so the loop survives a hung or restarted API server.

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
}

const asError = (e: unknown): KubejoinError => (e instanceof KubejoinError ? e : new KubejoinError('internal', String((e as Error)?.message ?? e)));

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        r();
      },
      { once: true },
    );
  });
}

/** Runs passes until `signal` aborts. Never overlaps two passes; a poke during one runs another after it. */
export async function runPassLoop(opts: PassLoopOptions): Promise<void> {
  const resyncMs = opts.resyncMs ?? 5 * 60_000;
  const debounceMs = opts.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = 1000;
  let running = false;
  let again = false;
  const controllers = new Set<AbortController>();

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

  const watchLoop = async (w: PassLoopOptions['watches'][number]): Promise<void> => {
    let backoff = 1000;
    while (!opts.signal.aborted) {
      let controller: AbortController | undefined;
      const ended = new Promise<KubejoinError | undefined>((resolve) => {
        void opts
          .watch(w.path, w.query, w.op, () => poke(), resolve)
          .then(
            (c) => {
              controller = c;
              controllers.add(c);
              if (opts.signal.aborted) c.abort();
            },
            (e: unknown) => resolve(asError(e)),
          );
      });
      const started = Date.now();
      const err = await ended;
      if (controller) controllers.delete(controller);
      if (opts.signal.aborted) return;
      if (err) opts.onError(err);
      poke(); // events may have been missed while the stream was down
      backoff = Date.now() - started > 30_000 ? 1000 : Math.min(backoff * 2, 30_000);
      await sleep(backoff, opts.signal);
    }
  };

  const resync = setInterval(() => void pass(), resyncMs);
  const stopAll = (): void => {
    clearTimeout(timer);
    clearTimeout(retryTimer);
    clearInterval(resync);
    for (const c of controllers) c.abort();
  };
  opts.signal.addEventListener('abort', stopAll, { once: true });
  await pass();
  await Promise.all(opts.watches.map((w) => watchLoop(w)));
  stopAll();
}
