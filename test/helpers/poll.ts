// Waiting for something the cluster does in its own time (a controller, a cleaner).

import { sleep } from '../harness/time.js';

export { sleep };

/** Polls `check` until it returns a value (not undefined); throws once `timeoutMs` has passed. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
