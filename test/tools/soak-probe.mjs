// Preloaded into the agent under soak (node --expose-gc --import <this file>, see
// test/integration/soak.test.ts): every KUBEJOIN_SOAK_EVERY_MS it forces a full garbage
// collection and appends one JSON line to KUBEJOIN_SOAK_PROBE: the V8 heap in use after it (and
// of it the compiled code and the old space), the RSS, and the open descriptors. Its timer is
// unref'd, so it never keeps the agent alive.
import { appendFileSync, readdirSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.KUBEJOIN_SOAK_PROBE;
if (out && typeof globalThis.gc === 'function') {
  const every = Number(process.env.KUBEJOIN_SOAK_EVERY_MS) || 2000;
  const timer = setInterval(() => {
    globalThis.gc();
    const m = process.memoryUsage();
    const fds = readdirSync('/proc/self/fd').length;
    // Compiled code apart: V8 keeps optimizing (and re-optimizing) for a while.
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.space_used_size]));
    const code = (spaces.code_space ?? 0) + (spaces.code_large_object_space ?? 0);
    const line = { at: Date.now(), heap: m.heapUsed, code, old: spaces.old_space ?? 0, rss: m.rss, external: m.external, fds };
    appendFileSync(out, `${JSON.stringify(line)}\n`);
  }, every);
  timer.unref();
}
