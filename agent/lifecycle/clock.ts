// Time for the rotation agent, injectable. The real clock sleeps in chunks of at most an
// hour and re-reads the wall clock after each, so a suspended device or a clock step does
// not oversleep a deadline (and no timer exceeds setTimeout's 24.8-day limit).
//
// TEST ONLY: KUBEJOIN_TEST_CLOCK_SCALE=N makes every wait of the agent N times shorter
// (until the rotation deadline, between retries). Validity checks still use the real
// clock, so certificates are judged as the API server judges them. With a 600 s
// certificate (notBefore backdated 5 min by the signer) and N=60, rotation comes every
// 5.5-8.5 s instead of 5.5-8.5 min. Compiled out of what ships (docs/architecture.md, "Test
// hooks"): there clockFromEnv always returns the real clock.

export interface Clock {
  /** Milliseconds since the epoch (real time). */
  now(): number;
  /** Resolves at `at` (a `now()` value), or rejects with the signal's reason. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
}

const CHUNK_MS = 60 * 60_000;

function delay(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    if (unref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  async sleepUntil(at, signal) {
    for (let left = at - Date.now(); left > 0; left = at - Date.now()) await delay(Math.min(left, CHUNK_MS), signal);
    if (signal?.aborted) throw signal.reason as Error;
  },
};

/**
 * The real clock for a process that lives for other reasons (the Electron app): its timers
 * do not keep the process alive.
 */
export const backgroundClock: Clock = {
  now: () => Date.now(),
  async sleepUntil(at, signal) {
    for (let left = at - Date.now(); left > 0; left = at - Date.now()) await delay(Math.min(left, CHUNK_MS), signal, true);
    if (signal?.aborted) throw signal.reason as Error;
  },
};

/** Waits `scale` times shorter than asked; now() stays real (test only). */
export function scaledClock(scale: number): Clock {
  return {
    now: () => Date.now(),
    sleepUntil: (at, signal) => delay((at - Date.now()) / scale, signal),
  };
}

/** The real clock, or the test hook's scaled one (KUBEJOIN_TEST_CLOCK_SCALE, a number > 0). */
export function clockFromEnv(env: NodeJS.ProcessEnv, real: Clock = systemClock): Clock {
  if (globalThis.KUBEJOIN_TEST_HOOKS !== false) {
    const raw = env.KUBEJOIN_TEST_CLOCK_SCALE;
    if (raw === undefined || raw === '') return real;
    const scale = Number(raw);
    if (!Number.isFinite(scale) || scale <= 0) throw new Error(`KUBEJOIN_TEST_CLOCK_SCALE must be a number > 0, not "${raw}"`);
    return scale === 1 ? real : scaledClock(scale);
  }
  return real;
}
