// Shared pieces of the property tests over every parser that meets untrusted input: how many
// cases (KUBEJOIN_FUZZ_RUNS: `npm run fuzz` sets 100000, `npm test` runs the default), the
// arbitraries, and the one property: only our typed errors, no crash, no hang, no secret.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KubejoinError } from '../../../agent/errors.js';
import { GoParseError } from '../../../agent/protocol/go-time.js';
import { MalformedObjectError } from '../../../agent/csr/api.js';
import { TransportError } from '../../../agent/transport/errors.js';

export const RUNS = Number(process.env.KUBEJOIN_FUZZ_RUNS ?? 300);
/** Each parser's whole run is bounded in time (a hang shows as the run not finishing). */
export const TIME_LIMIT_MS = Number(process.env.KUBEJOIN_FUZZ_TIME_LIMIT_MS ?? 120_000);
/** One case must never take this long (a catastrophic regex, an endless loop). */
export const CASE_LIMIT_MS = 2_000;

/** The errors our parsers are allowed to throw. */
export const TYPED = [KubejoinError, GoParseError, MalformedObjectError, TransportError] as const;

const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
/** A token-shaped secret `<id>.<secret>`. */
export const tokenArb = fc
  .tuple(fc.string({ unit: alnum, minLength: 6, maxLength: 6 }), fc.string({ unit: alnum, minLength: 16, maxLength: 16 }))
  .map(([id, s]) => `${id}.${s}`);

/** Text shaped like the input, with a token planted somewhere (is it ever echoed?). */
export function withToken(text: fc.Arbitrary<string>): fc.Arbitrary<{ input: string; token: string }> {
  return fc.tuple(text, tokenArb, fc.nat()).map(([t, token, at]) => {
    const i = t.length === 0 ? 0 : at % (t.length + 1);
    // Not right after a backslash: an escape (YAML's "\\a") would turn the token into another
    // string, which is then no longer the secret but still contains its characters.
    const before = t.slice(0, i);
    return { input: `${before}${before.endsWith('\\') ? ' ' : ''}${token}${t.slice(i)}`, token };
  });
}

/** Any text: printable, full unicode, and the characters parsers split on. */
export const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: fc.constantFrom(...':.,=-_ \t\n\r"\'\\/[]{}#&*!|>%@`$0123456789abcdefhmsuµ'.split('')), maxLength: 120 }),
);

/**
 * Runs `parse` on the input: it returns, or throws one of TYPED whose message does not hold
 * the planted token's secret; never anything else, and quickly.
 */
export function checkParser(name: string, arb: fc.Arbitrary<{ input: string; token: string }>, parse: (input: string) => unknown): void {
  const stats = { cases: 0 };
  fc.assert(
    fc.property(arb, ({ input, token }) => {
      stats.cases++;
      const started = performance.now();
      try {
        parse(input);
      } catch (err) {
        if (!TYPED.some((T) => err instanceof T)) throw new Error(`${name} threw an untyped ${(err as Error)?.name}: ${(err as Error)?.message}`);
        const secret = token.split('.')[1]!;
        const text = `${(err as Error).message} ${(err as KubejoinError).hint ?? ''}`;
        assert.ok(!text.includes(secret), `${name} put a token secret into its message: ${text}`);
      }
      assert.ok(performance.now() - started < CASE_LIMIT_MS, `${name} took ${Math.round(performance.now() - started)} ms on one input`);
    }),
    { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
  );
  if (stats.cases < RUNS) console.log(`# ${name}: ${stats.cases} of ${RUNS} cases within the ${TIME_LIMIT_MS} ms limit`);
}

/** Async twin (the provisioning file reader is async). */
export async function checkAsyncParser(
  name: string,
  arb: fc.Arbitrary<{ input: string; token: string }>,
  parse: (input: string) => Promise<unknown>,
  messages: (result: unknown) => string[] = () => [],
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arb, async ({ input, token }) => {
      const secret = token.split('.')[1]!;
      let out: string[] = [];
      try {
        out = messages(await parse(input));
      } catch (err) {
        if (!TYPED.some((T) => err instanceof T)) throw new Error(`${name} threw an untyped ${(err as Error)?.name}: ${(err as Error)?.message}`);
        out = [(err as Error).message];
      }
      for (const m of out) assert.ok(!m.includes(secret), `${name} put a token secret into its message: ${m}`);
    }),
    { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
  );
}

export { fc };
