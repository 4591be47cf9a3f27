import type { IncomingHttpHeaders } from 'node:http';
import { TransportError } from './errors.js';

// Transient is not final (docs/protocol.md §7): 429, 5xx, refused and reset connections,
// stalls, and a reset mid-body or mid-watch are retried with capped exponential backoff and
// full jitter until the caller's deadline (its signal). Retry-After is honoured, capped.

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 5_000;
/** The most a server's Retry-After can make us wait at once. */
export const RETRY_AFTER_CAP_MS = 10_000;

/** The wait before attempt `attempt` (>= 2): random in [half, all] of base * 2^(attempt-2), capped. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(attempt - 2, 30)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** HTTP statuses that say "try again": 429 Too Many Requests, 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Retry-After in ms (delta-seconds or an HTTP date), capped; undefined when absent or unreadable. */
export function retryAfterMs(headers: IncomingHttpHeaders | undefined, now = Date.now()): number | undefined {
  const value = headers?.['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.max(0, Math.min(RETRY_AFTER_CAP_MS, ms));
}

export function isTransientError(err: unknown): err is TransportError {
  return err instanceof TransportError && err.transient;
}

/** The deadline (or cancel) came while waiting between attempts; `reason` is the last failure. */
export class GaveUp extends Error {
  constructor(
    readonly reason: string,
    cause: unknown,
  ) {
    super(reason, { cause });
    this.name = 'GaveUp';
  }
}

/** Waits `ms`, or rejects with GaveUp(reason) when `signal` aborts first. */
export function pause(ms: number, signal: AbortSignal | undefined, reason: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new GaveUp(reason, signal.reason));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new GaveUp(reason, signal?.reason));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export type Attempt<T> = { done: true; value: T } | { done: false; reason: string; waitMs?: number };

export interface RetryOptions {
  /** The deadline or cancel: aborting it ends the retries with GaveUp (last reason). */
  signal?: AbortSignal;
  /** Told before each wait. */
  onRetry?: (reason: string, attempt: number, waitMs: number) => void;
  /** Wait before attempt n (default backoffMs). */
  delayMs?: (attempt: number) => number;
  /** The deadline (epoch ms) the signal stands for: a wait that would pass it gives up at once. */
  deadline?: number;
}

/**
 * Runs `attempt` until it is done. A transient TransportError counts as a failed attempt
 * (its message is the reason); anything else thrown ends the retries at once.
 */
export async function retrying<T>(attempt: (n: number) => Promise<Attempt<T>>, opts: RetryOptions): Promise<T> {
  const delay = opts.delayMs ?? backoffMs;
  let lastReason: string | undefined;
  for (let n = 1; ; n++) {
    let outcome: Attempt<T>;
    try {
      outcome = await attempt(n);
    } catch (err) {
      // Cut short by the deadline: what the server said before explains it better than the stage.
      if (opts.signal?.aborted && err instanceof TransportError) throw new GaveUp(lastReason ?? err.message, err);
      if (!isTransientError(err)) throw err;
      outcome = { done: false, reason: err.message };
    }
    if (outcome.done) return outcome.value;
    lastReason = outcome.reason;
    const wait = Math.max(delay(n + 1), outcome.waitMs ?? 0);
    // Sleeping into the deadline would only end in the same answer, later.
    if (opts.deadline !== undefined && Date.now() + wait >= opts.deadline) throw new GaveUp(outcome.reason, undefined);
    opts.onRetry?.(outcome.reason, n + 1, wait);
    await pause(wait, opts.signal, outcome.reason);
  }
}

/** An Attempt for an HTTP status that is transient: the reason, and Retry-After honoured. */
export function transientStatus<T>(status: number, headers: IncomingHttpHeaders | undefined, what: string): Attempt<T> {
  const after = retryAfterMs(headers);
  return {
    done: false,
    reason: `${what}: the server answered HTTP ${status}${after !== undefined ? ` (Retry-After ${Math.round(after / 1000)} s)` : ''}`,
    ...(after !== undefined ? { waitMs: after } : {}),
  };
}
