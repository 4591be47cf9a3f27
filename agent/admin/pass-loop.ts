import { KubejoinError } from '../errors.js';
import type { AdminClient } from './client.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './request-timeout.js';
import { WATCH_SECONDS } from './watch.js';
import { IDLE_READ_MS, watchUntil } from '../watch/loop.js';

// The one long-running shape of the admin watchers, `cluster approve --watch` and `cluster sign
// --watch` (docs/enrollment.md §3, docs/protocol.md §10.6): a pass now, then one after each watch
// event (debounced), when the pass said one is due (a signed token expires), every resync
// interval, after a failure (with backoff), and when a watch has been silent for IDLE_READ_MS.
// Watches run in the one watch loop (agent/watch): bookmarks, a server-side timeout, re-established
// when the server ends them, when they break, and when they stay silent too long, so the loop
// survives a hung or restarted API server and a proxy that holds or buffers streaming answers.

type WatchOp = Parameters<AdminClient['watch']>[2];

/** What a pass may say: when another one is due besides events (ms from now), and per watched path the version its list was at. */
export type PassNext = { nextPassInMs?: number; versions?: Record<string, string | undefined> } | undefined;

export interface PassLoopOptions {
  signal: AbortSignal;
  /** One idempotent pass over the current state. */
  pass: () => Promise<PassNext | void>;
  /** A watch or pass failed; the loop retries. */
  onError: (err: KubejoinError) => void;
  watches: { path: string; query: Record<string, string>; op: WatchOp }[];
  watch: AdminClient['watch'];
  /** Full resync interval (ms) besides events. Default 5 minutes; also the cap of a due pass's wait. */
  resyncMs?: number;
  /** Quiet period after an event before a pass (ms). Default 200. */
  debounceMs?: number;
  /** How long a watch may stay silent past its own timeout before it is replaced: --request-timeout (its default when 0 or absent). */
  graceMs?: number;
  /** Wait before re-watch n after trouble (default: the watch loop's capped, jittered backoff). */
  watchDelayMs?: (attempt: number) => number;
}

/**
 * What a command that runs on this loop (`cluster approve --watch`, `cluster sign --watch`) takes
 * besides its own callback: the loop's stop signal, error sink and timing, and the clock its
 * passes read.
 */
export interface WatchOptions extends Pick<PassLoopOptions, 'signal' | 'onError' | 'resyncMs' | 'debounceMs' | 'watchDelayMs'> {
  now: () => number;
}

const asError = (e: unknown): KubejoinError => (e instanceof KubejoinError ? e : new KubejoinError('internal', String((e as Error)?.message ?? e)));

/** Runs passes until `signal` aborts. Never overlaps two passes; a poke during one runs another after it. */
export async function runPassLoop(opts: PassLoopOptions): Promise<void> {
  const resyncMs = opts.resyncMs ?? 5 * 60_000;
  const debounceMs = opts.debounceMs ?? 200;
  let timer: NodeJS.Timeout | undefined;
  let dueTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryMs = 1000;
  let running = false;
  let again = false;
  // When the last pass began: every pass reads the whole state, so it covers every watch's silence.
  let passedAt = 0;
  // Per watched path, where its next watch resumes: the last version an event, a bookmark or a
  // pass's list saw. Without one (at first, after an error) a watch starts with every object as
  // ADDED, which pokes another pass; from a list's version it misses nothing and replays nothing.
  const versions = new Map<string, string>();

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
        passedAt = Date.now();
        try {
          const next = await opts.pass();
          retryMs = 1000;
          for (const [path, version] of Object.entries(next?.versions ?? {})) if (version) versions.set(path, version);
          clearTimeout(dueTimer);
          // setTimeout holds at most ~24.8 days; a resync comes long before that anyway.
          if (next?.nextPassInMs !== undefined && !opts.signal.aborted)
            dueTimer = setTimeout(() => void pass(), Math.min(Math.max(0, next.nextPassInMs), resyncMs));
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
  // a pass; silence is covered by a pass, shared by the watches (none when one began less than
  // IDLE_READ_MS / 2 before).
  const freshPass = async (): Promise<undefined> => {
    if (Date.now() - passedAt < IDLE_READ_MS / 2) return undefined;
    await pass();
    return undefined;
  };
  const watchLoop = (w: PassLoopOptions['watches'][number]): Promise<void> => {
    return watchUntil<void>({
      what: `the watch of ${w.op.resource}${w.op.namespace ? ` in ${w.op.namespace}` : ''}`,
      timeoutSeconds: WATCH_SECONDS,
      graceMs: opts.graceMs || DEFAULT_REQUEST_TIMEOUT_MS,
      signal: opts.signal,
      resourceVersion: () => versions.get(w.path),
      open: async (loopQuery, signal, heard) => {
        const err = await opts.watch(
          w.path,
          { ...w.query, ...loopQuery },
          w.op,
          (type, version) => {
            heard();
            // An ERROR (e.g. 410 Gone: the version is too old) drops the version; the pass it pokes lists again.
            if (type === 'ERROR') versions.delete(w.path);
            else if (version) versions.set(w.path, version);
            if (type !== 'BOOKMARK') poke();
          },
          signal,
        );
        if (signal.aborted || !err) return { kind: 'ended' };
        versions.delete(w.path);
        opts.onError(err);
        poke(); // events may have been missed while the stream was down
        return { kind: 'ended', trouble: err.message };
      },
      read: freshPass,
      onSilent: (message) => opts.onError(new KubejoinError('timeout', `${message} (hung API server?); watching again`)),
      ...(opts.watchDelayMs ? { delayMs: opts.watchDelayMs } : {}),
    }).catch((err: unknown) => {
      if (!opts.signal.aborted) throw err;
    });
  };

  const resync = setInterval(() => void pass(), resyncMs);
  const stopAll = (): void => {
    clearTimeout(timer);
    clearTimeout(dueTimer);
    clearTimeout(retryTimer);
    clearInterval(resync);
  };
  opts.signal.addEventListener('abort', stopAll, { once: true });
  try {
    await pass();
    await Promise.all(opts.watches.map((w) => watchLoop(w)));
  } finally {
    stopAll();
  }
}
