import type { IncomingHttpHeaders } from 'node:http';
import { statusMessage } from '../transport/http.js';
import { backoffMs, GaveUp, isTransientStatus, pause, retryAfterMs } from '../transport/retry.js';

// The one watch loop of the product (docs/protocol.md §10.6): a watch proves itself or is
// replaced. A stream can be open and silent for ever (a proxy that buffers streaming answers, a
// hung server), so no wait trusts it alone: while nothing comes for IDLE_READ_MS the object is
// read again by name, and a watch silent past its own server-side timeout is dropped and opened
// again, with the capped, jittered backoff of every retry (§10.3).

/** Silence after which the object is read again (a GET): a few requests a minute when idle. */
export const IDLE_READ_MS = 15_000;
/** A watch that lasted this long and ended cleanly is re-opened at once; shorter ones back off. */
export const HEALTHY_WATCH_MS = 10_000;
/** How long past its own timeoutSeconds a silent watch is given before it is replaced. */
export const DEFAULT_GRACE_MS = 30_000;
/** At most one "watching again" progress event per this many ms. */
const PROGRESS_EVERY_MS = 1_000;

/** The query every watch sends: bookmarks, a server-side timeout, where to resume. */
export interface WatchQuery {
  allowWatchBookmarks: 'true';
  timeoutSeconds: string;
  resourceVersion?: string;
  [key: string]: string | undefined;
}

/** How one watch ended: with the value waited for, or (re-watched) cleanly or in trouble. */
export type WatchEnd<T> =
  | { kind: 'done'; value: T }
  | {
      kind: 'ended';
      /** The version is too old (410 Gone): read the object, then watch again. */
      resync?: boolean;
      /** Why it ended badly (a status, a reset); absent when the server ended it cleanly. */
      trouble?: string;
      /** The server's Retry-After. */
      waitMs?: number;
    };

export interface WatchSpec<T> {
  /** For messages: "the watch of …". */
  what: string;
  /** The server ends each watch after this long (timeoutSeconds). */
  timeoutSeconds: number;
  /** Silence past the timeout before the watch is replaced (default DEFAULT_GRACE_MS). */
  graceMs?: number;
  /** Silence before the object is read again (default IDLE_READ_MS). */
  idleMs?: number;
  /** The caller's deadline and cancel: aborting it ends the wait with GaveUp. */
  signal?: AbortSignal;
  /** The version to resume from (the caller keeps it from events, bookmarks and reads). */
  resourceVersion?: () => string | undefined;
  /**
   * Opens one watch with `query`, calls `heard` for every event (bookmarks too), and resolves
   * how it ended. It must end when `signal` aborts (what it throws then is ignored); anything it
   * throws otherwise ends the wait (a refused token, an untrusted server): transient trouble
   * is an `ended` with a `trouble`.
   */
  open(query: WatchQuery, signal: AbortSignal, heard: () => void): Promise<WatchEnd<T>>;
  /** Reads the object by name; `{ value }` ends the wait. What it throws ends the wait. */
  read(signal: AbortSignal): Promise<{ value: T } | undefined>;
  /** Wait before re-watch n after trouble (default backoffMs). */
  delayMs?: (attempt: number) => number;
  onProgress?: (message: string, attempt?: number) => void;
  /** Told when a watch silent past its timeout is dropped (before it is opened again). */
  onSilent?: (message: string) => void;
}

/**
 * A watch answered with a status other than 200 that the caller did not take as a refusal or a
 * 410: trouble, in the server's words, with its Retry-After when the status is transient.
 */
export function endedByStatus(status: number, body: string, headers: IncomingHttpHeaders | undefined): WatchEnd<never> {
  const said = statusMessage(body);
  const waitMs = isTransientStatus(status) ? retryAfterMs(headers) : undefined;
  return { kind: 'ended', trouble: `the watch was answered HTTP ${status}${said ? `: ${said}` : ''}`, ...(waitMs !== undefined ? { waitMs } : {}) };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; err: unknown };

/** Watches (and reads on silence) until `open` or `read` gives the value, one of them fails, or the signal aborts. */
export async function watchUntil<T>(spec: WatchSpec<T>): Promise<T> {
  const idleMs = spec.idleMs ?? IDLE_READ_MS;
  const silentMs = spec.timeoutSeconds * 1000 + (spec.graceMs ?? DEFAULT_GRACE_MS);
  const stop = new AbortController();
  let over = false;
  let lastTrouble: string | undefined;
  let finish!: (o: Outcome<T>) => void;
  const finished = new Promise<Outcome<T>>((resolve) => (finish = resolve));
  const end = (o: Outcome<T>): void => {
    if (over) return;
    over = true;
    stop.abort();
    finish(o);
  };
  const onAbort = (): void => end({ ok: false, err: new GaveUp(lastTrouble ?? `${spec.what} brought no answer`, spec.signal?.reason) });
  if (spec.signal?.aborted) onAbort();
  else spec.signal?.addEventListener('abort', onAbort, { once: true });

  // Reading on silence, independent of the watches (it goes on while one is re-opened).
  let lastNews = Date.now();
  let reading: Promise<void> | undefined;
  let idle: NodeJS.Timeout | undefined;
  const readNow = (): Promise<void> =>
    (reading ??= spec
      .read(stop.signal)
      .then(
        (r) => {
          lastNews = Date.now();
          if (r) end({ ok: true, value: r.value });
        },
        (err: unknown) => (over ? undefined : end({ ok: false, err })),
      )
      .finally(() => (reading = undefined)));
  const armIdle = (): void => {
    clearTimeout(idle);
    if (over) return;
    idle = setTimeout(
      () => {
        if (Date.now() - lastNews < idleMs) return armIdle();
        void readNow().then(armIdle);
      },
      Math.max(0, lastNews + idleMs - Date.now()),
    );
  };
  armIdle();

  const watchLoop = async (): Promise<void> => {
    let troubled = 0;
    let saidAt = 0;
    for (let attempt = 1; !over; attempt++) {
      const one = new AbortController();
      const onStop = (): void => one.abort();
      stop.signal.addEventListener('abort', onStop, { once: true });
      const began = Date.now();
      let heardAt = began;
      let replaced = false;
      let silent: NodeJS.Timeout | undefined;
      const armSilent = (): void => {
        silent = setTimeout(
          () => {
            if (Date.now() - heardAt < silentMs) return armSilent();
            replaced = true;
            one.abort();
          },
          Math.max(0, heardAt + silentMs - Date.now()),
        );
      };
      armSilent();
      const rv = spec.resourceVersion?.();
      const query: WatchQuery = { allowWatchBookmarks: 'true', timeoutSeconds: String(spec.timeoutSeconds), ...(rv ? { resourceVersion: rv } : {}) };
      let ended: WatchEnd<T>;
      try {
        ended = await spec.open(query, one.signal, () => {
          heardAt = lastNews = Date.now();
        });
      } catch (err) {
        if (!one.signal.aborted) return end({ ok: false, err });
        ended = { kind: 'ended' };
      } finally {
        clearTimeout(silent);
        stop.signal.removeEventListener('abort', onStop);
      }
      if (over) return;
      if (ended.kind === 'done') return end({ ok: true, value: ended.value });
      if (replaced) {
        const trouble = `${spec.what} was silent for ${silentMs / 1000} s, past its own ${spec.timeoutSeconds} s timeout`;
        ended = { kind: 'ended', trouble };
        spec.onSilent?.(trouble);
      }
      lastTrouble = ended.trouble ?? lastTrouble;
      if (ended.resync) await readNow();
      if (over) return;
      // Never a tight loop: a watch that broke or ended early is re-opened after a backoff.
      const healthy = ended.trouble === undefined && Date.now() - began >= HEALTHY_WATCH_MS;
      troubled = healthy ? 0 : troubled + 1;
      const wait = healthy ? 0 : Math.max((spec.delayMs ?? backoffMs)(troubled + 1), ended.waitMs ?? 0);
      if (Date.now() - saidAt >= PROGRESS_EVERY_MS) {
        saidAt = Date.now();
        spec.onProgress?.(ended.trouble ? `${ended.trouble}; watching again` : 'the watch ended, watching again', attempt + 1);
      }
      await pause(wait, stop.signal, ended.trouble ?? 'the watch ended').catch(() => undefined);
    }
  };

  try {
    void watchLoop().catch((err: unknown) => end({ ok: false, err }));
    const outcome = await finished;
    if (!outcome.ok) throw outcome.err;
    return outcome.value;
  } finally {
    over = true;
    clearTimeout(idle);
    stop.abort();
    spec.signal?.removeEventListener('abort', onAbort);
  }
}
