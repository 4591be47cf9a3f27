// Preloaded into the agent under soak (node --expose-gc --import <this file>, see
// test/integration/soak.test.ts): every KUBEJOIN_SOAK_EVERY_MS it forces a full garbage
// collection and appends one JSON line to KUBEJOIN_SOAK_PROBE: the V8 heap in use after it, the
// RSS, and the open descriptors. Its timer is unref'd, so it never keeps the agent alive.
import { appendFileSync, readdirSync } from 'node:fs';

const out = process.env.KUBEJOIN_SOAK_PROBE;
if (out && typeof globalThis.gc === 'function') {
  const every = Number(process.env.KUBEJOIN_SOAK_EVERY_MS) || 2000;
  const timer = setInterval(() => {
    globalThis.gc();
    const m = process.memoryUsage();
    const fds = readdirSync('/proc/self/fd').length;
    appendFileSync(out, `${JSON.stringify({ at: Date.now(), heap: m.heapUsed, rss: m.rss, external: m.external, fds })}\n`);
  }, every);
  timer.unref();
}
